import { BarChart, FunnelChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only the chart types and components the console draws, so the charts chunk stays small.
echarts.use([LineChart, BarChart, PieChart, FunnelChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

/**
 * One ECharts chart on a canvas that follows its container's width. Once a drawing has finished the container gets
 * data-rendered="true" (the browser tests and bench:web wait on it) and onRendered is called.
 */
export default function EChart({ option, height = 360, testId, onRendered }: { option: echarts.EChartsCoreOption; height?: number; testId?: string; onRendered?: () => void }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const rendered = useRef(onRendered);
  useEffect(() => {
    rendered.current = onRendered;
  }, [onRendered]);

  useEffect(() => {
    const element = container.current!;
    const instance = echarts.init(element, undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.on('finished', () => {
      element.setAttribute('data-rendered', 'true');
      rendered.current?.();
    });
    // A resize redraws the whole chart, so only a real change of size calls it: the observer's first report is the
    // size the chart was just created at, and used to draw the chart a second time before it was shown.
    let size = [instance.getWidth(), instance.getHeight()].join('x');
    const observer = new ResizeObserver(() => {
      const next = [element.clientWidth, element.clientHeight].join('x');
      if (next === size) return;
      size = next;
      instance.resize();
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    container.current?.setAttribute('data-rendered', 'false');
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return <div ref={container} className="oa-chart" data-testid={testId} style={{ width: '100%', height }} />;
}
