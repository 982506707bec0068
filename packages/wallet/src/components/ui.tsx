/**
 * The shell's shared UI components. Every control is at least 44×44 CSS px, text at least 16 px,
 * and labelled; colours meet WCAG 2.2 AA contrast (styles.css).
 */
import type { ButtonHTMLAttributes, ComponentChildren, InputHTMLAttributes, Ref } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { common } from '../i18n/common.ts';
import { useT } from '../i18n/index.ts';
import type { ShownError } from '../lib/errors.ts';

/** How a button looks: the one main action, other actions, or an action that destroys something. */
export type ButtonVariant = 'primary' | 'secondary' | 'danger';

/** Props of {@link Button}. */
export type ButtonProps = Omit<
  ButtonHTMLAttributes<HTMLButtonElement>,
  'class' | 'type' | 'disabled' | 'ref'
> & {
  readonly variant?: ButtonVariant;
  readonly type?: 'button' | 'submit';
  /** While true the button is disabled and says so (`aria-busy`). */
  readonly busy?: boolean;
  readonly disabled?: boolean;
  readonly children: ComponentChildren;
  readonly buttonRef?: Ref<HTMLButtonElement>;
};

/** A button: primary (filled), secondary (outlined) or danger (red, for destructive actions). */
export function Button({
  variant = 'primary',
  type = 'button',
  busy = false,
  disabled,
  children,
  buttonRef,
  ...rest
}: ButtonProps) {
  return (
    <button
      {...rest}
      {...(buttonRef === undefined ? {} : { ref: buttonRef })}
      type={type}
      class={`button ${variant}`}
      disabled={disabled === true || busy}
      aria-busy={busy ? 'true' : undefined}
    >
      {children}
    </button>
  );
}

/** A link styled as a button (for navigation that looks like an action). */
export function LinkButton(props: {
  readonly href: string;
  readonly variant?: ButtonVariant;
  readonly children: ComponentChildren;
  readonly id?: string;
}) {
  return (
    <a id={props.id} href={props.href} class={`button ${props.variant ?? 'primary'}`}>
      {props.children}
    </a>
  );
}

/** A row of buttons (wraps on a phone). */
export function Buttons({ children }: { readonly children: ComponentChildren }) {
  return <div class="buttons">{children}</div>;
}

/** Props of {@link Field}. */
export interface FieldProps {
  readonly id: string;
  readonly label: ComponentChildren;
  readonly hint?: ComponentChildren;
  /** The field's own error (sets `aria-invalid` and is read with the field). */
  readonly error?: string | undefined;
  /** Marks the field invalid without a message of its own (the page's alert says why). */
  readonly invalid?: boolean;
  readonly value: string;
  readonly onValue: (v: string) => void;
  readonly inputRef?: Ref<HTMLInputElement>;
  readonly type?: 'text' | 'password' | 'search';
  readonly name?: string;
  readonly autocomplete?: string;
  readonly spellcheck?: boolean;
  readonly autocapitalize?: 'off' | 'characters' | 'none';
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly required?: boolean;
  readonly list?: string;
  readonly inputMode?: 'text' | 'numeric';
}

/** A labelled text field with an optional hint and error, tied by `aria-describedby`. */
export function Field(p: FieldProps) {
  const { id, error, hint } = p;
  const describedBy = [hint === undefined ? '' : `${id}-hint`, error === undefined ? '' : `${id}-error`]
    .filter((s) => s !== '')
    .join(' ');
  // Built as a plain object: Preact's input types split on `type` and reject a union of them.
  const attrs = {
    ...(p.inputRef === undefined ? {} : { ref: p.inputRef }),
    id,
    type: p.type ?? 'text',
    name: p.name,
    value: p.value,
    onInput: (e: Event) => p.onValue((e.currentTarget as HTMLInputElement).value),
    autocomplete: p.autocomplete,
    spellcheck: p.spellcheck,
    autocapitalize: p.autocapitalize,
    maxLength: p.maxLength,
    minLength: p.minLength,
    required: p.required,
    list: p.list,
    inputMode: p.inputMode,
    'aria-invalid': error !== undefined || p.invalid === true ? 'true' : undefined,
    'aria-describedby': describedBy === '' ? undefined : describedBy,
  };
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      {hint === undefined ? null : (
        <p id={`${id}-hint`} class="hint">
          {hint}
        </p>
      )}
      {error === undefined ? null : (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
      <input {...(attrs as unknown as InputHTMLAttributes<HTMLInputElement>)} />
    </div>
  );
}

/** Props of {@link FilePicker}. */
export interface FilePickerProps {
  readonly id: string;
  /** What the file is for (the field's title). */
  readonly label: ComponentChildren;
  readonly hint?: ComponentChildren;
  /** The button's words, in the resident's language (「ファイルを選ぶ」). */
  readonly button: string;
  /** The chosen file's name, or words saying none is chosen yet. */
  readonly chosen: string;
  readonly disabled?: boolean;
  readonly onChoose: (f: File | undefined) => void;
}

/**
 * A file field whose button speaks the resident's language: the browser's own button says
 * 「Choose File」 in the browser's language whatever the page's. The native input stays — visually
 * hidden, not removed, so it keeps the keyboard (Tab to it, Space or Enter opens the picker) and
 * the accessibility tree — and a `<label>` styled as a button stands in for it as the tap target.
 * The input is named by the title and the button's words (the visible words are in the name, WCAG
 * 2.5.3) and described by the chosen file and the hint; the label shows the input's focus ring.
 */
export function FilePicker(p: FilePickerProps) {
  const { id } = p;
  return (
    <div class="field file-picker">
      <p id={`${id}-title`} class="field-title">
        {p.label}
      </p>
      {p.hint === undefined ? null : (
        <p id={`${id}-hint`} class="hint">
          {p.hint}
        </p>
      )}
      <div class="file-picker-row">
        <input
          id={id}
          type="file"
          class="visually-hidden"
          aria-labelledby={`${id}-title ${id}-button`}
          aria-describedby={[`${id}-chosen`, p.hint === undefined ? '' : `${id}-hint`].join(' ').trim()}
          disabled={p.disabled === true}
          onChange={(e) => p.onChoose(e.currentTarget.files?.[0])}
        />
        <label for={id} id={`${id}-button`} class="button secondary">
          {p.button}
        </label>
        <span id={`${id}-chosen`} class="file-chosen">
          {p.chosen}
        </span>
      </div>
    </div>
  );
}

/** A checkbox with its label as the whole tap target. */
export function Check(props: {
  readonly id: string;
  readonly checked: boolean;
  readonly onChange: (checked: boolean) => void;
  readonly children: ComponentChildren;
  readonly hint?: ComponentChildren;
  readonly name?: string;
  readonly value?: string;
  readonly disabled?: boolean;
  readonly type?: 'checkbox' | 'radio';
}) {
  return (
    <div class="check">
      <label for={props.id}>
        <input
          id={props.id}
          type={props.type ?? 'checkbox'}
          name={props.name}
          value={props.value}
          checked={props.checked}
          disabled={props.disabled}
          onChange={(e) => props.onChange(e.currentTarget.checked)}
          aria-describedby={props.hint === undefined ? undefined : `${props.id}-hint`}
        />
        <span>{props.children}</span>
      </label>
      {props.hint === undefined ? null : (
        <p id={`${props.id}-hint`} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

/**
 * The page's error region (`role="alert"`: read out when it appears). Empty and present from the
 * start, so that assistive technology registers it before anything is put in.
 */
export function Alert({
  error,
  id = 'error',
}: {
  readonly error: ShownError | undefined;
  readonly id?: string;
}) {
  return (
    <div
      id={id}
      class={error === undefined ? 'alert empty' : 'alert'}
      role="alert"
      data-error-code={error?.code}
    >
      {error === undefined ? null : <p>{error.text}</p>}
    </div>
  );
}

/** The page's status region (`role="status"`: read out politely). */
export function Status({
  message,
  id = 'status',
}: {
  readonly message: string | undefined;
  readonly id?: string;
}) {
  return (
    <p id={id} class={message === undefined || message === '' ? 'status empty' : 'status'} role="status">
      {message ?? ''}
    </p>
  );
}

/** A list of facts: term and value, side by side on a wide screen, stacked on a phone. */
export function Facts({
  rows,
  id,
}: {
  readonly rows: ReadonlyArray<readonly [ComponentChildren, ComponentChildren]>;
  readonly id?: string;
}) {
  return (
    <dl class="facts" id={id}>
      {rows.map(([k, v], i) => (
        <div class="fact" key={i}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A box that draws attention (information or a warning) with a heading. */
export function Notice(props: {
  readonly title?: ComponentChildren;
  readonly kind?: 'info' | 'warning' | 'success';
  readonly children?: ComponentChildren;
  readonly id?: string;
}) {
  const id = useId();
  return (
    <section
      id={props.id}
      class={`notice ${props.kind ?? 'info'}`}
      aria-labelledby={props.title === undefined ? undefined : id}
    >
      {props.title === undefined ? null : <h2 id={id}>{props.title}</h2>}
      {props.children}
    </section>
  );
}

/**
 * A destructive step behind typing a word: the danger button is enabled only once `word` is typed
 * (after trimming). For closing an account and the like.
 */
export function TypeToConfirm(props: {
  readonly id: string;
  readonly word: string;
  readonly label: ComponentChildren;
  readonly action: ComponentChildren;
  readonly busy?: boolean;
  readonly onConfirm: () => void;
}) {
  const t = useT(common);
  const [typed, setTyped] = useState('');
  const ok = typed.trim() === props.word;
  return (
    <form
      class="type-to-confirm"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) props.onConfirm();
      }}
    >
      <Field
        id={props.id}
        label={props.label}
        hint={t('typeToConfirm', { word: props.word })}
        value={typed}
        onValue={setTyped}
        autocomplete="off"
        spellcheck={false}
      />
      <Buttons>
        <Button
          variant="danger"
          type="submit"
          disabled={!ok}
          busy={props.busy ?? false}
          aria-describedby={`${props.id}-hint`}
        >
          {props.action}
        </Button>
      </Buttons>
    </form>
  );
}

/**
 * A page's title: the one `<h1>`, focused when the page opens (so a screen reader announces the
 * new page after client-side navigation) and written into `document.title`.
 */
export function PageTitle({
  children,
  text,
}: {
  readonly children?: ComponentChildren;
  readonly text: string;
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  const brand = useT(common)('brand');
  useEffect(() => {
    document.title = `${text} — ${brand}`;
  }, [text, brand]);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabindex={-1} id="page-title">
      {children ?? text}
    </h1>
  );
}

/** Runs an async action with a busy flag; errors go to `onError`. */
export function useBusy(): [boolean, (fn: () => Promise<void>, onError: (e: unknown) => void) => void] {
  const [busy, setBusy] = useState(false);
  const run = (fn: () => Promise<void>, onError: (e: unknown) => void): void => {
    setBusy(true);
    fn()
      .catch(onError)
      .finally(() => setBusy(false));
  };
  return [busy, run];
}
