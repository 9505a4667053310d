/** A small element builder: no framework, text always set as text (never as HTML). */
type Attributes = Record<string, string | number | boolean | undefined>;
type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== undefined && child !== false) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Says `text` through the page's polite live region (screen readers announce it). */
export function announce(text: string): void {
  const region = byId('announcer');
  region.textContent = '';
  // A new text node each time, so the same message twice is announced twice.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}

/** A control's name as the page gives it: its aria-label, else its text. */
export const controlName = (control: Element): string =>
  control.getAttribute('aria-label') ?? control.textContent?.trim() ?? '';

/** Focus is on no element: the focused one was removed, hidden or disabled. */
export const focusLost = (): boolean =>
  document.activeElement === null || document.activeElement === document.body;
