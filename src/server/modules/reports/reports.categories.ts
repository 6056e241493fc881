import type { DeptType } from '../core/core.types.js';

/**
 * The stages of the closed loop of GB/T 30428 (数字化城市管理信息系统): 受理 → 立案 → 派遣 →
 * 处置 → 核查 → 结案. Each stage has its own time limit per category.
 */
export const STAGES = ['accept', 'register', 'dispatch', 'handle', 'verify', 'close'] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  accept: '受理',
  register: '立案',
  dispatch: '派遣',
  handle: '处置',
  verify: '核查',
  close: '结案',
};

/** Minutes allowed per stage; counted on the working-day calendar or in natural time. */
export type StageLimits = Record<Stage, number>;

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface CategorySeed {
  /** Hierarchical code in the style of GB/T 30428 / CJ/T 315: two digits per level. */
  code: string;
  name: string;
  parentCode: string | null;
  /** Department type responsible for cases of this category (leaves only). */
  deptType: DeptType | null;
  priority: Priority;
  /** 'natural' counts the limits in clock time (urgent hazards), 'working' on the working-day calendar. */
  timeMode: 'working' | 'natural';
  limits: StageLimits | null;
}

const H = 60;
/** A working-day case: one working hour to accept, two working days to fix. */
const WORKING: StageLimits = { accept: 1 * H, register: 1 * H, dispatch: 1 * H, handle: 16 * H, verify: 4 * H, close: 2 * H };
/** A slower case (mediation, assistance): five working days to handle. */
const SLOW: StageLimits = { accept: 2 * H, register: 2 * H, dispatch: 2 * H, handle: 40 * H, verify: 8 * H, close: 4 * H };
/** A hazard counted on the clock: fifteen minutes per office step, two hours to make safe. */
const URGENT: StageLimits = { accept: 15, register: 15, dispatch: 15, handle: 2 * H, verify: 1 * H, close: 1 * H };

type Leaf = [code: string, name: string, deptType: DeptType, priority: Priority, timeMode: 'working' | 'natural', limits: StageLimits];

const TREE: [code: string, name: string, leaves: Leaf[]][] = [
  [
    '01',
    '市容环境',
    [
      ['0101', '暴露垃圾', 'urban_management', 'normal', 'working', WORKING],
      ['0102', '占道经营', 'urban_management', 'normal', 'working', WORKING],
      ['0103', '乱张贴乱涂写', 'urban_management', 'low', 'working', WORKING],
      ['0104', '违章搭建', 'urban_management', 'normal', 'working', SLOW],
    ],
  ],
  [
    '02',
    '设施管理',
    [
      ['0201', '井盖缺失破损', 'urban_management', 'urgent', 'natural', URGENT],
      ['0202', '路灯故障', 'urban_management', 'normal', 'working', WORKING],
      ['0203', '供排水故障', 'water_resources', 'high', 'working', WORKING],
      ['0204', '公共设施损坏', 'urban_management', 'normal', 'working', WORKING],
      ['0205', '电梯故障', 'market_regulation', 'high', 'natural', URGENT],
    ],
  ],
  [
    '03',
    '道路交通',
    [
      ['0301', '道路破损', 'transport', 'normal', 'working', WORKING],
      ['0302', '违章停车', 'public_security', 'normal', 'working', WORKING],
      ['0303', '信号灯故障', 'public_security', 'urgent', 'natural', URGENT],
      ['0304', '共享单车乱停放', 'urban_management', 'low', 'working', WORKING],
    ],
  ],
  [
    '04',
    '治安隐患',
    [
      ['0401', '可疑人员', 'public_security', 'urgent', 'natural', URGENT],
      ['0402', '黄赌毒线索', 'public_security', 'high', 'working', WORKING],
      ['0403', '诈骗线索', 'public_security', 'high', 'working', WORKING],
      ['0404', '出租房隐患', 'public_security', 'normal', 'working', SLOW],
    ],
  ],
  [
    '05',
    '消防安全',
    [
      ['0501', '消防通道堵塞', 'fire_rescue', 'urgent', 'natural', URGENT],
      ['0502', '电动车违规充电', 'fire_rescue', 'high', 'working', WORKING],
      ['0503', '消防设施损坏', 'fire_rescue', 'high', 'working', WORKING],
      ['0504', '易燃物堆放', 'fire_rescue', 'high', 'working', WORKING],
    ],
  ],
  [
    '06',
    '矛盾纠纷',
    [
      ['0601', '邻里纠纷', 'justice', 'normal', 'working', SLOW],
      ['0602', '物业纠纷', 'housing', 'normal', 'working', SLOW],
      ['0603', '劳资纠纷', 'justice', 'high', 'working', SLOW],
      ['0604', '消费纠纷', 'market_regulation', 'normal', 'working', SLOW],
    ],
  ],
  [
    '07',
    '生态环境',
    [
      ['0701', '河道污染', 'ecology_environment', 'high', 'working', WORKING],
      ['0702', '大气污染', 'ecology_environment', 'normal', 'working', WORKING],
      ['0703', '噪声扰民', 'ecology_environment', 'normal', 'working', WORKING],
      ['0704', '非法排污', 'ecology_environment', 'high', 'working', WORKING],
    ],
  ],
  [
    '08',
    '民生服务',
    [
      ['0801', '困难救助', 'civil_affairs', 'normal', 'working', SLOW],
      ['0802', '独居老人关爱', 'civil_affairs', 'high', 'working', WORKING],
      ['0803', '食品安全', 'market_regulation', 'high', 'working', WORKING],
      ['0804', '医疗卫生', 'health', 'normal', 'working', SLOW],
      ['0805', '校园周边安全', 'education', 'high', 'working', WORKING],
    ],
  ],
];

/** Verification on site: a check in a few hours when someone may be in need, otherwise days. */
const CARE: StageLimits = { accept: 10, register: 10, dispatch: 10, handle: 2 * H, verify: 1 * H, close: 1 * H };
const CHECK: StageLimits = { accept: 1 * H, register: 1 * H, dispatch: 1 * H, handle: 24 * H, verify: 4 * H, close: 2 * H };

/**
 * Warnings of the early-warning module become verification tasks (预警核查) in this group.
 * They go to the community of the place and its grid worker, and no resident files them,
 * so the text classifier does not learn them.
 */
export const WARNING_CATEGORY_GROUP = '09';
const WARNING_TREE: (typeof TREE)[number] = [
  WARNING_CATEGORY_GROUP,
  '预警核查',
  [
    ['0901', '水质预警核查', 'community', 'high', 'natural', URGENT],
    ['0902', '独居老人关怀核查', 'community', 'urgent', 'natural', CARE],
    ['0903', '人来未登记核查', 'community', 'normal', 'working', CHECK],
    ['0904', '一址多企核查', 'community', 'normal', 'working', SLOW],
    ['0905', '设备离线核查', 'community', 'normal', 'working', WORKING],
    ['0906', '监测阈值预警核查', 'community', 'high', 'natural', URGENT],
  ],
];

/** The default category tree; administrators edit the copy in the database. */
export const DEFAULT_CATEGORIES: CategorySeed[] = [...TREE, WARNING_TREE].flatMap(([code, name, leaves]) => [
  { code, name, parentCode: null, deptType: null, priority: 'normal' as Priority, timeMode: 'working' as const, limits: null },
  ...leaves.map(([c, n, deptType, priority, timeMode, limits]) => ({ code: c, name: n, parentCode: code, deptType, priority, timeMode, limits })),
]);

/** Leaf codes and names, the classes of the text classifier. */
export const LEAF_CATEGORIES = DEFAULT_CATEGORIES.filter((c) => c.parentCode !== null && c.parentCode !== WARNING_CATEGORY_GROUP).map((c) => ({ code: c.code, name: c.name, parent: TREE.find(([p]) => p === c.parentCode)![1] }));
