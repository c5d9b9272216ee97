import {
  BoldOutlined,
  ClearOutlined,
  ItalicOutlined,
  LinkOutlined,
  OrderedListOutlined,
  PictureOutlined,
  RedoOutlined,
  StrikethroughOutlined,
  UnderlineOutlined,
  UndoOutlined,
  UnorderedListOutlined,
} from '@ant-design/icons';
import Image from '@tiptap/extension-image';
import { EditorContent, useEditor, useEditorState, type Editor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { Button, Divider, Tooltip } from 'antd';
import { useEffect, type ReactNode } from 'react';
import { useI18n } from '../i18n';

/** Only what the API keeps (src/modules/broadcasts/sanitize.ts): http(s) and mailto links, http(s) images. */
const LINK = /^(https?:\/\/|mailto:)/i;
const IMAGE = /^https?:\/\//i;

/**
 * The article body editor: TipTap (ProseMirror) with the formatting a WeChat article uses, writing HTML. The API
 * sanitises the HTML again; the editor simply never produces what it would remove.
 */
export default function RichTextEditor({ value, onChange, id }: { value?: string; onChange?: (html: string) => void; id?: string }) {
  const { t } = useI18n();
  const editor = useEditor({
    extensions: [
      StarterKit.configure({
        heading: { levels: [2, 3] },
        code: false,
        codeBlock: false,
        link: { openOnClick: false, autolink: true, defaultProtocol: 'https', isAllowedUri: (url) => LINK.test(url) },
      }),
      Image.configure({ inline: false }),
    ],
    content: value ?? '',
    editorProps: { attributes: { class: 'oa-editor-body', 'aria-label': t('compose.body'), 'data-placeholder': t('compose.editorPlaceholder'), ...(id ? { id } : {}) } },
    onUpdate: ({ editor: current }) => onChange?.(current.isEmpty ? '' : current.getHTML()),
  });

  // A value set from outside (switching between articles) replaces the document; typing does not come back here.
  useEffect(() => {
    if (!editor || value === undefined) return;
    const current = editor.isEmpty ? '' : editor.getHTML();
    if (value !== current) editor.commands.setContent(value || '', { emitUpdate: false });
  }, [editor, value]);

  return (
    <div className="oa-editor">
      <Toolbar editor={editor} />
      <EditorContent editor={editor} />
    </div>
  );
}

function Toolbar({ editor }: { editor: Editor }) {
  const { t } = useI18n();
  const state = useEditorState({
    editor,
    selector: ({ editor: current }) => ({
      bold: current.isActive('bold'),
      italic: current.isActive('italic'),
      underline: current.isActive('underline'),
      strike: current.isActive('strike'),
      h2: current.isActive('heading', { level: 2 }),
      h3: current.isActive('heading', { level: 3 }),
      bulletList: current.isActive('bulletList'),
      orderedList: current.isActive('orderedList'),
      blockquote: current.isActive('blockquote'),
      link: current.isActive('link'),
      canUndo: current.can().undo(),
      canRedo: current.can().redo(),
    }),
  });
  const chain = () => editor.chain().focus();
  const tool = (key: string, label: string, icon: ReactNode, active: boolean, run: () => void, disabled = false) => (
    <Tooltip key={key} title={label}>
      <Button size="small" type={active ? 'primary' : 'text'} icon={icon} aria-label={label} aria-pressed={active} disabled={disabled} onClick={run} />
    </Tooltip>
  );
  const textTool = (key: string, label: string, text: string, active: boolean, run: () => void) => (
    <Tooltip key={key} title={label}>
      <Button size="small" type={active ? 'primary' : 'text'} aria-label={label} aria-pressed={active} onClick={run}>
        {text}
      </Button>
    </Tooltip>
  );
  const setLink = () => {
    const previous = (editor.getAttributes('link').href as string | undefined) ?? '';
    const href = window.prompt(t('editor.linkPrompt'), previous);
    if (href === null) return;
    if (href.trim() === '') chain().extendMarkRange('link').unsetLink().run();
    else if (LINK.test(href.trim())) chain().extendMarkRange('link').setLink({ href: href.trim(), target: '_blank' }).run();
  };
  const addImage = () => {
    const src = window.prompt(t('editor.imagePrompt'), 'https://');
    if (src && IMAGE.test(src.trim())) chain().setImage({ src: src.trim() }).run();
  };
  return (
    <div className="oa-editor-toolbar" role="toolbar">
      {tool('bold', t('editor.bold'), <BoldOutlined />, state.bold, () => chain().toggleBold().run())}
      {tool('italic', t('editor.italic'), <ItalicOutlined />, state.italic, () => chain().toggleItalic().run())}
      {tool('underline', t('editor.underline'), <UnderlineOutlined />, state.underline, () => chain().toggleUnderline().run())}
      {tool('strike', t('editor.strike'), <StrikethroughOutlined />, state.strike, () => chain().toggleStrike().run())}
      <Divider orientation="vertical" />
      {textTool('h2', t('editor.h2'), 'H2', state.h2, () => chain().toggleHeading({ level: 2 }).run())}
      {textTool('h3', t('editor.h3'), 'H3', state.h3, () => chain().toggleHeading({ level: 3 }).run())}
      {tool('bullet', t('editor.bulletList'), <UnorderedListOutlined />, state.bulletList, () => chain().toggleBulletList().run())}
      {tool('ordered', t('editor.orderedList'), <OrderedListOutlined />, state.orderedList, () => chain().toggleOrderedList().run())}
      {textTool('quote', t('editor.quote'), '❝', state.blockquote, () => chain().toggleBlockquote().run())}
      <Divider orientation="vertical" />
      {tool('link', t('editor.link'), <LinkOutlined />, state.link, setLink)}
      {tool('image', t('editor.image'), <PictureOutlined />, false, addImage)}
      {tool('clear', t('editor.clear'), <ClearOutlined />, false, () => chain().unsetAllMarks().clearNodes().run())}
      <Divider orientation="vertical" />
      {tool('undo', t('editor.undo'), <UndoOutlined />, false, () => chain().undo().run(), !state.canUndo)}
      {tool('redo', t('editor.redo'), <RedoOutlined />, false, () => chain().redo().run(), !state.canRedo)}
    </div>
  );
}
