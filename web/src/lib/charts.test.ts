import { describe, expect, it } from 'vitest';
import type { ActivationItem, Attributes, GrowthItem } from '../api/types';
import { activationOption, attributeBarOption, attributePieOption, distributionOption, funnelOption, funnelStages, growthOption, hourlyOption, sourceOption, sourceTotals, sumOf } from './charts';

const growth: GrowthItem[] = [
  { refDate: '2026-12-05', newUser: 2, cancelUser: 0, netUser: 2, cumulateUser: 10, userSource: [{ scene: 'ADD_SCENE_SEARCH', newUser: 2, cancelUser: 0 }] },
  {
    refDate: '2026-12-06',
    newUser: 6,
    cancelUser: 1,
    netUser: 5,
    cumulateUser: 15,
    userSource: [
      { scene: 'ADD_SCENE_QR_CODE', newUser: 3, cancelUser: 1 },
      { scene: 'ADD_SCENE_SEARCH', newUser: 3, cancelUser: 0 },
    ],
  },
];
const labels = { newUser: 'New', cancelUser: 'Gone', netUser: 'Net', cumulateUser: 'Total' };
type Series = Array<{ name: string; data: unknown[]; yAxisIndex?: number; type: string }>;

describe('chart options', () => {
  it('draws the four growth lines with the API’s figures, the total on its own axis', () => {
    const option = growthOption(growth, labels) as { xAxis: { data: string[] }; series: Series; legend: { data: string[] } };
    expect(option.xAxis.data).toEqual(['2026-12-05', '2026-12-06']);
    expect(option.legend.data).toEqual(['New', 'Gone', 'Net', 'Total']);
    expect(option.series.map((series) => [series.name, series.data, series.yAxisIndex])).toEqual([
      ['New', [2, 6], 0],
      ['Gone', [0, 1], 0],
      ['Net', [2, 5], 0],
      ['Total', [10, 15], 1],
    ]);
  });

  it('sums follows and unfollows per source over the days, largest first', () => {
    expect(sourceTotals(growth)).toEqual([
      { scene: 'ADD_SCENE_SEARCH', newUser: 5, cancelUser: 0 },
      { scene: 'ADD_SCENE_QR_CODE', newUser: 3, cancelUser: 1 },
    ]);
    const option = sourceOption(growth, { newUser: 'New', cancelUser: 'Gone', scene: (scene) => scene.toLowerCase() }) as { yAxis: { data: string[] }; series: Series };
    expect(option.yAxis.data).toEqual(['add_scene_search', 'add_scene_qr_code']);
    expect(option.series.map((series) => series.data)).toEqual([
      [5, 3],
      [0, 1],
    ]);
  });

  it('shows one attribute’s values from the attributes answer', () => {
    const attributes: Attributes = {
      refDate: '2026-12-06',
      total: 3,
      items: [
        { attribute: 'gender', value: 'male', followers: 1, share: 0.3333 },
        { attribute: 'gender', value: 'female', followers: 2, share: 0.6667 },
        { attribute: 'city', value: '深圳', followers: 3, share: 1 },
      ],
    };
    const pie = attributePieOption(attributes, 'gender', (value) => value.toUpperCase()) as { series: Array<{ data: unknown[] }> };
    expect(pie.series[0]!.data).toEqual([
      { name: 'MALE', value: 1 },
      { name: 'FEMALE', value: 2 },
    ]);
    const bar = attributeBarOption(attributes, 'city', 'Followers', (value) => value) as { yAxis: { data: string[] }; series: Series };
    expect(bar.yAxis.data).toEqual(['深圳']);
    expect(bar.series[0]!.data).toEqual([3]);
  });

  it('draws activation lines and stacks senders by messages sent', () => {
    const items: ActivationItem[] = [{ refDate: '2026-12-06', msgUser: 2, msgCount: 3, avgPerUser: 1.5, byType: [], distribution: { '0': 3, '1-5': 2, '6-10': 0, '>10': 0 } }];
    const lines = activationOption(items, { msgUser: 'Senders', msgCount: 'Messages', avgPerUser: 'Avg' }) as { series: Series };
    expect(lines.series.map((series) => series.data)).toEqual([[2], [3], [1.5]]);
    const stacked = distributionOption(items, (bucket) => bucket) as { series: Series };
    expect(stacked.series.map((series) => [series.name, series.data])).toEqual([
      ['1-5', [2]],
      ['6-10', [0]],
      ['>10', [0]],
    ]);
  });

  it('builds the 送达 → 图文页 → 原文页 → 分享 funnel in that order, unsorted', () => {
    const stages = funnelStages({ targetUser: 5, intPageReadUser: 4, oriPageReadUser: 2, shareUser: 1 });
    expect(stages.map((stage) => [stage.key, stage.value])).toEqual([
      ['target', 5],
      ['read', 4],
      ['original', 2],
      ['share', 1],
    ]);
    const option = funnelOption(stages, (key) => key) as { series: Array<{ sort: string; max: number; data: unknown[] }> };
    expect(option.series[0]).toMatchObject({ sort: 'none', max: 5, data: [{ name: 'target', value: 5 }, { name: 'read', value: 4 }, { name: 'original', value: 2 }, { name: 'share', value: 1 }] });
  });

  it('labels the 24 hours and sums a figure over the days', () => {
    const hours = Array.from({ length: 24 }, (_, refHour) => ({ refHour, reads: refHour === 15 ? 5 : 0 }));
    const option = hourlyOption(hours, [{ key: 'reads', name: 'Reads' }]) as { xAxis: { data: string[] }; series: Series };
    expect(option.xAxis.data[0]).toBe('00:00');
    expect(option.xAxis.data[23]).toBe('23:00');
    expect(option.series[0]!.data[15]).toBe(5);
    expect(sumOf(growth, (item) => item.newUser)).toBe(8);
  });
});
