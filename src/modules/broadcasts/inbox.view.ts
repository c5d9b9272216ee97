import type { InboxArticleRow, InboxArticleSummaryRow, InboxBroadcastRow } from './inbox.repo.js';

/** How a follower sees an article in the inbox: no HTML body (that is on the message itself). */
export function toInboxArticleSummary(article: InboxArticleSummaryRow) {
  return {
    index: article.idx,
    title: article.title,
    author: article.author,
    digest: article.digest,
    contentSourceUrl: article.contentSourceUrl,
    thumbUrl: article.thumbUrl,
  };
}

export function toInboxArticle(article: InboxArticleRow) {
  return { ...toInboxArticleSummary(article), content: article.content };
}

/**
 * A received broadcast as the follower sees it, with its live articles already shaped; undefined for a news
 * broadcast whose articles were all deleted, which has nothing left to show.
 */
export function toInboxItem<Article>(broadcast: InboxBroadcastRow, deliveredAt: Date, liveArticles: Article[]) {
  if (broadcast.messageType === 'news' && liveArticles.length === 0) return undefined;
  return {
    msgId: broadcast.msgId,
    msgDataId: broadcast.msgDataId,
    preview: broadcast.isPreview,
    deliveredAt,
    type: broadcast.messageType,
    ...(broadcast.messageType === 'news' ? { articles: liveArticles } : broadcast.body),
  };
}
