/**
 * A horizontal bar chart (largest at the top) on the shared ECharts canvas.
 */
import { useMemo } from 'react';
import { EChart } from './EChart';

export interface BarDatum {
  name: string;
  value: number;
  color?: string;
}

export function BarChart({ data, height, seriesName }: { data: BarDatum[]; height: number; seriesName: string }) {
  const option = useMemo(() => {
    // ECharts draws category axes bottom-up.
    const rows = [...data].sort((a, b) => a.value - b.value);
    return {
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
    };
  }, [data, seriesName]);
  return <EChart option={option} height={height} />;
}
