import { lazyPage } from '../../lazyPage';

/**
 * New conversation validates typed numbers with the full phone metadata (~50 KB gzip with its
 * parser: @caretext/shared's phone.ts), which the Inbox's first load does without: the dialog is
 * its own chunk, fetched when the menu opens (NewChatMenu preloads it) or a profile's "Text patient".
 */
export const NewConversationDialog = lazyPage(() => import('./NewConversationDialog').then((m) => m.NewConversationDialog), { inline: true });

/** Create a chat with colleagues (an internal chat): fetched when chosen in the dialog. */
export const NewInternalChatDialog = lazyPage(() => import('./NewInternalChatDialog').then((m) => m.NewInternalChatDialog), { inline: true });
