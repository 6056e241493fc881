/**
 * A horizontal bar chart on ECharts, registering only what it uses to keep the bundle small.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart as EBarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([EBarChart, GridComponent, TooltipComponent, CanvasRenderer]);

export interface BarDatum {
  name: string;
  value: number;
  color?: string;
}

export function BarChart({ data, height, seriesName }: { data: BarDatum[]; height: number; seriesName: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, undefined, { renderer: 'canvas' });
    chartRef.current = chart;
    const ro = new ResizeObserver(() => chart.resize());
    ro.observe(ref.current);
    return () => {
      ro.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    // Largest at the top: ECharts draws category axes bottom-up.
    const rows = [...data].sort((a, b) => a.value - b.value);
    chart.setOption(
      {
        grid: { left: 8, right: 36, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        xAxis: { type: 'value', minInterval: 1, splitLine: { lineStyle: { color: '#eef1f5' } }, axisLabel: { color: '#64748b', fontSize: 11 } },
        yAxis: {
          type: 'category',
          data: rows.map((r) => r.name),
          axisTick: { show: false },
          axisLine: { lineStyle: { color: '#cbd5e1' } },
          axisLabel: { color: '#334155', fontSize: 12 },
        },
        series: [
          {
            name: seriesName,
            type: 'bar',
            barMaxWidth: 14,
            data: rows.map((r) => ({ value: r.value, itemStyle: { color: r.color ?? '#1d4ed8', borderRadius: [0, 3, 3, 0] } })),
            label: { show: true, position: 'right', color: '#334155', fontSize: 11 },
          },
        ],
      },
      true,
    );
  }, [data, seriesName]);

  return <div ref={ref} style={{ width: '100%', height }} />;
}
