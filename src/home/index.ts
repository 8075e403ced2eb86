/**
 * The app's Home tab: the view each person sees (`view.ts`, `usage.ts`), the settings modals (`settings.ts`), and
 * who publishes it when (`tab.ts`).
 */
export { readSubmission, type StateValues, settingModal, settingOfAction, settingOfView } from './settings.ts';
export { HomeTab, type HomeTabOptions } from './tab.ts';
export { type AdminPart, type HomeInput, type HomeMemo, homeView } from './view.ts';
