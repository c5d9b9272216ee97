import type { MessageInput, NewsArticleInput, TargetInput } from '../api/types';
import { parseOpenids } from './format';

/** The compose form's values, and how they become the body of POST …/broadcasts (and …/broadcasts/preview). */
export interface ComposeValues {
  type: MessageInput['type'];
  articles: NewsArticleInput[];
  text?: string;
  imageUrl?: string;
  targetKind: 'all' | 'tag' | 'openids';
  tagId?: number;
  openids?: string;
}

export const MAX_ARTICLES = 8;
/** An absolute http(s) URL with a host, as the API's HttpUrl demands of covers, images and original links. */
export const HTTP_URL = /^https?:\/\/[^\s/?#]+\S*$/i;

export const emptyArticle = (): NewsArticleInput => ({ title: '', author: '', digest: '', content: '', thumbUrl: '', contentSourceUrl: '', showCoverPic: true, needOpenComment: false });

/** The message the API takes, from the form: empty optional fields left out rather than sent as "". */
export function messageOf(values: ComposeValues): MessageInput {
  if (values.type === 'text') return { type: 'text', content: values.text ?? '' };
  if (values.type === 'image') return { type: 'image', imageUrl: (values.imageUrl ?? '').trim() };
  return {
    type: 'news',
    articles: values.articles.map((article) => {
      const optional = (text?: string) => (text && text.trim() ? text.trim() : undefined);
      return {
        title: article.title.trim(),
        author: optional(article.author),
        digest: optional(article.digest),
        content: article.content,
        contentSourceUrl: optional(article.contentSourceUrl),
        thumbUrl: article.thumbUrl.trim(),
        showCoverPic: Boolean(article.showCoverPic),
        needOpenComment: Boolean(article.needOpenComment),
      };
    }),
  };
}

/** The recipients: all followers, a tag's, or the listed openids (one a line). */
export function targetOf(values: ComposeValues): TargetInput {
  if (values.targetKind === 'tag') return { tagId: values.tagId! };
  if (values.targetKind === 'openids') return { openids: parseOpenids(values.openids ?? '') };
  return { all: true };
}
