import type { EChartsCoreOption } from 'echarts/core';
import type { ActivationItem, ArticleTotalItem, Attributes, AttributeName, GrowthItem, ReadDayItem } from '../api/types';

/**
 * ECharts options of the statistics pages, built from the API's items as they are (no figure is recomputed except
 * sums over the chosen days, which the page says). Labels come from the caller in the person's language. Pure
 * functions, unit-tested: the page only hands the option to the chart.
 */
const GRID = { left: 56, right: 56, top: 56, bottom: 36 };
export const PALETTE = ['#07c160', '#fa5151', '#1485ee', '#ffc300', '#6467f0', '#10aeff', '#ff8f1f', '#91d5ff'];

const base = (): EChartsCoreOption => ({
  color: PALETTE,
  // Charts are drawn once, at once: the figures matter, not the motion (and a 365-day chart appears sooner).
  animation: false,
  aria: { enabled: true },
});

export function growthOption(items: GrowthItem[], labels: Record<'newUser' | 'cancelUser' | 'netUser' | 'cumulateUser', string>): EChartsCoreOption {
  const dates = items.map((item) => item.refDate);
  const line = (key: 'newUser' | 'cancelUser' | 'netUser' | 'cumulateUser', yAxisIndex = 0) => ({
    name: labels[key],
    type: 'line',
    yAxisIndex,
    showSymbol: items.length <= 31,
    data: items.map((item) => item[key]),
  });
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis' },
    legend: { top: 8, data: [labels.newUser, labels.cancelUser, labels.netUser, labels.cumulateUser] },
    grid: GRID,
    xAxis: { type: 'category', boundaryGap: false, data: dates },
    // Total followers dwarf a day's changes: they get the right-hand axis.
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', minInterval: 1, splitLine: { show: false } },
    ],
    series: [line('newUser'), line('cancelUser'), line('netUser'), line('cumulateUser', 1)],
  };
}

/** Follows and unfollows per scene, summed over the items (each item's userSource). */
export function sourceTotals(items: GrowthItem[]): Array<{ scene: string; newUser: number; cancelUser: number }> {
  const totals = new Map<string, { scene: string; newUser: number; cancelUser: number }>();
  for (const item of items) {
    for (const source of item.userSource) {
      const total = totals.get(source.scene) ?? { scene: source.scene, newUser: 0, cancelUser: 0 };
      total.newUser += source.newUser;
      total.cancelUser += source.cancelUser;
      totals.set(source.scene, total);
    }
  }
  return [...totals.values()].sort((a, b) => b.newUser - a.newUser || a.scene.localeCompare(b.scene));
}

export function sourceOption(items: GrowthItem[], labels: { newUser: string; cancelUser: string; scene: (scene: string) => string }): EChartsCoreOption {
  const totals = sourceTotals(items);
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 8, data: [labels.newUser, labels.cancelUser] },
    grid: { ...GRID, left: 120 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: totals.map((total) => labels.scene(total.scene)), inverse: true },
    series: [
      { name: labels.newUser, type: 'bar', data: totals.map((total) => total.newUser) },
      { name: labels.cancelUser, type: 'bar', data: totals.map((total) => total.cancelUser) },
    ],
  };
}

export function attributeRows(attributes: Attributes, attribute: AttributeName) {
  return attributes.items.filter((item) => item.attribute === attribute);
}

export function attributePieOption(attributes: Attributes, attribute: AttributeName, label: (value: string) => string): EChartsCoreOption {
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['40%', '68%'],
        data: attributeRows(attributes, attribute).map((row) => ({ name: label(row.value), value: row.followers })),
        label: { formatter: '{b} {d}%' },
      },
    ],
  };
}

export function attributeBarOption(attributes: Attributes, attribute: AttributeName, seriesName: string, label: (value: string) => string): EChartsCoreOption {
  const rows = attributeRows(attributes, attribute);
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { ...GRID, left: 110, top: 16 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((row) => label(row.value)) },
    series: [{ name: seriesName, type: 'bar', data: rows.map((row) => row.followers) }],
  };
}

export function activationOption(items: ActivationItem[], labels: Record<'msgUser' | 'msgCount' | 'avgPerUser', string>): EChartsCoreOption {
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis' },
    legend: { top: 8, data: [labels.msgUser, labels.msgCount, labels.avgPerUser] },
    grid: GRID,
    xAxis: { type: 'category', boundaryGap: false, data: items.map((item) => item.refDate) },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', splitLine: { show: false } },
    ],
    series: [
      { name: labels.msgUser, type: 'line', showSymbol: items.length <= 31, data: items.map((item) => item.msgUser) },
      { name: labels.msgCount, type: 'line', showSymbol: items.length <= 31, data: items.map((item) => item.msgCount) },
      { name: labels.avgPerUser, type: 'line', yAxisIndex: 1, showSymbol: items.length <= 31, data: items.map((item) => item.avgPerUser) },
    ],
  };
}

export const DISTRIBUTION_BUCKETS = ['1-5', '6-10', '>10'] as const;

/** Senders per period by how many messages they sent, stacked (the followers who sent none would flatten the rest). */
export function distributionOption(items: ActivationItem[], bucketLabel: (bucket: (typeof DISTRIBUTION_BUCKETS)[number]) => string): EChartsCoreOption {
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 8 },
    grid: GRID,
    xAxis: { type: 'category', data: items.map((item) => item.refDate) },
    yAxis: { type: 'value', minInterval: 1 },
    series: DISTRIBUTION_BUCKETS.map((bucket) => ({ name: bucketLabel(bucket), type: 'bar', stack: 'senders', data: items.map((item) => item.distribution[bucket]) })),
  };
}

export interface FunnelStage {
  key: 'target' | 'read' | 'original' | 'share';
  value: number;
}

/** 送达 → 图文页 → 原文页 → 分享 of one article, to date (distinct users over the days since it was sent). */
export function funnelStages(total: Pick<ArticleTotalItem, 'targetUser' | 'intPageReadUser' | 'oriPageReadUser' | 'shareUser'>): FunnelStage[] {
  return [
    { key: 'target', value: total.targetUser },
    { key: 'read', value: total.intPageReadUser },
    { key: 'original', value: total.oriPageReadUser },
    { key: 'share', value: total.shareUser },
  ];
}

export function funnelOption(stages: FunnelStage[], label: (key: FunnelStage['key']) => string): EChartsCoreOption {
  const top = Math.max(1, stages[0]?.value ?? 1);
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'item', formatter: '{b}: {c}' },
    series: [
      {
        type: 'funnel',
        sort: 'none',
        left: '10%',
        width: '80%',
        min: 0,
        max: top,
        minSize: '8%',
        gap: 4,
        label: { show: true, position: 'inside', formatter: '{b}\n{c}' },
        data: stages.map((stage) => ({ name: label(stage.key), value: stage.value })),
      },
    ],
  };
}

export function readsOption(items: ReadDayItem[], labels: { reads: string; readers: string; shares: string }): EChartsCoreOption {
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis' },
    legend: { top: 8, data: [labels.readers, labels.reads, labels.shares] },
    grid: GRID,
    xAxis: { type: 'category', boundaryGap: false, data: items.map((item) => item.refDate) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: labels.readers, type: 'line', showSymbol: items.length <= 31, data: items.map((item) => item.intPageReadUser) },
      { name: labels.reads, type: 'line', showSymbol: items.length <= 31, data: items.map((item) => item.intPageReadCount) },
      { name: labels.shares, type: 'line', showSymbol: items.length <= 31, data: items.map((item) => item.shareCount) },
    ],
  };
}

export function hourlyOption<Item extends { refHour: number }>(items: Item[], series: Array<{ key: keyof Item & string; name: string }>): EChartsCoreOption {
  return {
    ...base(),
    tooltip: { className: 'oa-tooltip', trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 8, data: series.map((entry) => entry.name) },
    grid: GRID,
    xAxis: { type: 'category', data: items.map((item) => `${String(item.refHour).padStart(2, '0')}:00`) },
    yAxis: { type: 'value', minInterval: 1 },
    series: series.map((entry) => ({ name: entry.name, type: 'bar', data: items.map((item) => Number(item[entry.key] ?? 0)) })),
  };
}

/** Sum of one figure over the items: the cards above a chart ("over these days"). */
export function sumOf<T>(items: T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}
