/**
 * What WeChat's template library (模板库) is to a real account, for this platform: WeChat's 41 industries and a few
 * templates to add with api_add_template (../shared/wechat-protocol.md §10.3). Kept in code rather than in a table:
 * it is reference data that ships with a release (like the industry codes, it changes only when the code does), it
 * is read only when a template is added, and api_add_template copies the entry into the account's own row, so a
 * later change here never changes a template an account already uses.
 */

export interface Industry {
  id: number;
  firstClass: string;
  secondClass: string;
}

/**
 * WeChat's industry codes (api_set_industry's industry_id1/2; new docs api_setindustry). Codes 1, 4 and 13 are in the
 * protocol notes; the full list was checked against the constants of a public Java SDK that copies WeChat's table.
 */
export const INDUSTRIES: readonly Industry[] = [
  [1, 'IT科技', '互联网|电子商务'],
  [2, 'IT科技', 'IT软件与服务'],
  [3, 'IT科技', 'IT硬件与设备'],
  [4, 'IT科技', '电子技术'],
  [5, 'IT科技', '通信与运营商'],
  [6, 'IT科技', '网络游戏'],
  [7, '金融业', '银行'],
  [8, '金融业', '基金|理财|信托'],
  [9, '金融业', '保险'],
  [10, '餐饮', '餐饮'],
  [11, '酒店旅游', '酒店'],
  [12, '酒店旅游', '旅游'],
  [13, '运输与仓储', '快递'],
  [14, '运输与仓储', '物流'],
  [15, '运输与仓储', '仓储'],
  [16, '教育', '培训'],
  [17, '教育', '院校'],
  [18, '政府与公共事业', '学术科研'],
  [19, '政府与公共事业', '交警'],
  [20, '政府与公共事业', '博物馆'],
  [21, '政府与公共事业', '公共事业|非盈利机构'],
  [22, '医药护理', '医药医疗'],
  [23, '医药护理', '护理美容'],
  [24, '医药护理', '保健与卫生'],
  [25, '交通工具', '汽车相关'],
  [26, '交通工具', '摩托车相关'],
  [27, '交通工具', '火车相关'],
  [28, '交通工具', '飞机相关'],
  [29, '房地产', '建筑'],
  [30, '房地产', '物业'],
  [31, '消费品', '消费品'],
  [32, '商业服务', '法律'],
  [33, '商业服务', '会展'],
  [34, '商业服务', '中介服务'],
  [35, '商业服务', '认证'],
  [36, '商业服务', '审计'],
  [37, '文体娱乐', '传媒'],
  [38, '文体娱乐', '体育'],
  [39, '文体娱乐', '娱乐休闲'],
  [40, '印刷', '印刷'],
  [41, '其它', '其它'],
].map(([id, firstClass, secondClass]) => ({ id: id as number, firstClass: firstClass as string, secondClass: secondClass as string }));

export const industryOf = (id: number): Industry | undefined => INDUSTRIES[id - 1];

/** A keyword of a category template: its name (what keyword_name_list names) and its placeholder key. */
export interface CatalogueKeyword {
  name: string;
  /** `thing1`, `time2`, …: the type prefix decides the value's length limit (templates.rules.ts). */
  key: string;
  example: string;
}

/**
 * An industry template (TM…/OPENTM…: fixed content, belongs to one industry) or a category template (a number: its
 * content is the keywords chosen with api_add_template, in the order given).
 */
export type CatalogueEntry =
  | { kind: 'industry'; templateIdShort: string; title: string; industryId: number; content: string; example: string }
  | { kind: 'category'; templateIdShort: string; title: string; category: { firstClass: string; secondClass: string }; keywords: readonly CatalogueKeyword[] };

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    kind: 'industry',
    templateIdShort: 'TM00015',
    title: '订单支付成功',
    industryId: 1,
    // WeChat's own long-standing sample, "Remark" capitalised as it is there.
    content: '{{first.DATA}}\n\n支付金额：{{orderMoneySum.DATA}}\n商品信息：{{orderProductName.DATA}}\n{{Remark.DATA}}',
    example: '我们已收到您的货款，开始为您打包商品，请耐心等待: )\n\n支付金额：30.00元\n商品信息：我是商品名字\n如有问题请致电400-828-1878或直接在微信留言，小易将第一时间为您服务！',
  },
  {
    kind: 'industry',
    templateIdShort: 'OPENTM200654400',
    title: '购买成功通知',
    industryId: 1,
    content: '{{first.DATA}}\n商品名称：{{keyword1.DATA}}\n商品价格：{{keyword2.DATA}}\n购买时间：{{keyword3.DATA}}\n{{remark.DATA}}',
    example: '您好，您已购买成功。\n商品名称：巧克力\n商品价格：39.8元\n购买时间：2014年9月22日\n欢迎再次购买！',
  },
  {
    kind: 'industry',
    templateIdShort: 'OPENTM207498902',
    title: '快递发货通知',
    industryId: 13,
    content: '{{first.DATA}}\n快递公司：{{keyword1.DATA}}\n快递单号：{{keyword2.DATA}}\n发货时间：{{keyword3.DATA}}\n{{remark.DATA}}',
    example: '您的订单已发货。\n快递公司：顺丰速运\n快递单号：SF1234567890\n发货时间：2024年5月1日 10:00\n点击查看物流详情。',
  },
  {
    kind: 'industry',
    templateIdShort: 'OPENTM401202033',
    title: '课程预约成功通知',
    industryId: 16,
    content: '{{first.DATA}}\n课程名称：{{keyword1.DATA}}\n上课时间：{{keyword2.DATA}}\n上课地点：{{keyword3.DATA}}\n{{remark.DATA}}',
    example: '您已成功预约课程。\n课程名称：少儿编程入门\n上课时间：2024年6月1日 14:00\n上课地点：深圳市南山区科技园\n请提前10分钟到达。',
  },
  {
    kind: 'category',
    // The number of the doc's api_add_template sample, with the keywords it chooses (时间, 地点, 金额) among others.
    templateIdShort: '47123',
    title: '消费成功通知',
    category: { firstClass: '生活服务', secondClass: '综合生活服务' },
    keywords: [
      { name: '时间', key: 'time1', example: '2024年5月1日 12:30' },
      { name: '地点', key: 'thing2', example: '深圳湾万象城店' },
      { name: '金额', key: 'amount3', example: '39.80元' },
      { name: '商品名称', key: 'thing4', example: '巧克力' },
      { name: '订单号', key: 'character_string5', example: 'A20240501123000' },
      { name: '联系电话', key: 'phone_number6', example: '0755-88888888' },
      { name: '车牌号', key: 'car_number7', example: '粤B12345' },
    ],
  },
  {
    kind: 'category',
    templateIdShort: '43216',
    title: '预约提醒',
    category: { firstClass: '生活服务', secondClass: '综合生活服务' },
    keywords: [
      { name: '预约时间', key: 'time1', example: '2024年6月1日 14:00' },
      { name: '预约项目', key: 'thing2', example: '洗车' },
      { name: '门店地址', key: 'thing3', example: '深圳市南山区科技园' },
      { name: '联系电话', key: 'phone_number4', example: '13800138000' },
    ],
  },
];

export function findCatalogueEntry(templateIdShort: string): CatalogueEntry | undefined {
  return CATALOGUE.find((entry) => entry.templateIdShort === templateIdShort);
}
