/**
 * The card part of every card page: which card (in simulation: a hosted card of the J-LIS
 * simulator), its PIN, and how many tries the PIN has left — shown before the resident types, so
 * a wrong guess is never a surprise (an empty VERIFY uses no try, docs/jpki.md §3.5).
 */
import type { PinKind } from '@watashi/jpki';
import { isWellFormedPin } from '@watashi/jpki';
import { WatashiError } from '@watashi/pki';
import { useEffect, useState } from 'preact/hooks';
import { Button, Buttons, Check, Field } from '../../components/ui.tsx';
import { useT } from '../../i18n/index.ts';
import { hostedCardsUrl, listHostedCards, triesLeft, type HostedCard } from '../../lib/card.ts';
import { messages } from './messages.ts';

/** Props of {@link CardForm}. */
export interface CardFormProps {
  /** `auth`: the 4-digit PIN of the user-authentication key; `sign`: the signing password. */
  readonly kind: PinKind;
  readonly pinLabel: string;
  readonly pinHint: string;
  readonly submit: string;
  readonly busy: boolean;
  /** Bumped by the page after an attempt, so the tries are read again. */
  readonly attempt: number;
  readonly onSubmit: (card: { url: string; id: string }, pin: string) => void;
  /** A refusal before the card is touched (no card, malformed PIN). */
  readonly onInvalid: (e: WatashiError) => void;
}

/** Card choice, PIN and the tries left. */
export function CardForm(props: CardFormProps) {
  const t = useT(messages);
  const url = hostedCardsUrl();
  const [cards, setCards] = useState<HostedCard[] | undefined>(undefined);
  const [cardId, setCardId] = useState('');
  const [pin, setPin] = useState('');
  const [tries, setTries] = useState<number | undefined>(undefined);
  const [pinError, setPinError] = useState<string | undefined>(undefined);

  useEffect(() => {
    if (url === undefined) return;
    listHostedCards(url)
      .then((list) => {
        const usable = list.filter((c) => props.kind === 'auth' || c.signing);
        setCards(usable);
        if (usable.length === 1) setCardId(usable[0]!.id);
      })
      .catch(() => setCards([]));
  }, [url, props.kind]);

  // Only the tries are read here. The PIN is cleared where the resident acts (a card picked, a
  // form sent): an effect runs after the paint, and on a slow phone it could wipe a PIN typed in
  // the meantime, so that the next press sends an empty one.
  useEffect(() => {
    setTries(undefined);
    if (url === undefined || cardId === '') return;
    triesLeft(url, cardId, props.kind)
      .then(setTries)
      .catch(() => setTries(undefined));
  }, [url, cardId, props.kind, props.attempt]);

  if (url === undefined) return <p id="no-reader">{t('noReader')}</p>;
  if (cards === undefined) return <p aria-busy="true">…</p>;
  if (cards.length === 0) return <p id="no-cards">{t('noCards')}</p>;

  const kindLabel = (c: HostedCard) =>
    (c.reader !== undefined
      ? t('cardInReader', { reader: c.reader })
      : c.kind === 'card'
        ? t('cardOf', { holder: c.holder })
        : t('phoneOf', { holder: c.holder })) +
    (c.status === 'lost' ? t('cardStatus_lost') : c.status === 'revoked' ? t('cardStatus_revoked') : '');

  return (
    <form
      id="card-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setPinError(undefined);
        if (cardId === '') {
          props.onInvalid(new WatashiError('card_required', 'no card'));
          return;
        }
        const p = props.kind === 'sign' ? pin.trim().toUpperCase() : pin.trim();
        if (!isWellFormedPin(props.kind, p)) {
          // Checked before the card is touched, so no try is used.
          setPinError(props.pinHint);
          props.onInvalid(new WatashiError('card_pin_format', 'malformed PIN'));
          return;
        }
        // The PIN leaves the page's state as it is sent: a failed try asks for it afresh.
        setPin('');
        props.onSubmit({ url, id: cardId }, p);
      }}
    >
      <fieldset>
        <legend>{t('pickCard')}</legend>
        <p class="hint">{t(cards.some((c) => c.reader !== undefined) ? 'inReader' : 'simulated')}</p>
        {cards.map((c) => (
          <Check
            key={c.id}
            id={`card-${c.id}`}
            type="radio"
            name="card"
            value={c.id}
            checked={cardId === c.id}
            onChange={(on) => {
              if (!on || c.id === cardId) return;
              setCardId(c.id);
              setPin('');
            }}
          >
            {kindLabel(c)}
          </Check>
        ))}
      </fieldset>
      <Field
        id="card-pin"
        label={props.pinLabel}
        hint={props.pinHint}
        error={pinError}
        type="password"
        {...(props.kind === 'auth' ? { inputMode: 'numeric', maxLength: 4 } : { maxLength: 16 })}
        autocomplete="off"
        spellcheck={false}
        value={pin}
        onValue={setPin}
      />
      <p id="pin-tries" aria-live="polite">
        {tries === undefined
          ? ''
          : props.kind === 'sign'
            ? tries === 0
              ? t('lockedSign')
              : t('triesSign', { n: tries })
            : tries === 0
              ? t('locked')
              : t('tries', { n: tries })}
      </p>
      <Buttons>
        <Button type="submit" busy={props.busy} disabled={tries === 0} id="card-submit">
          {props.submit}
        </Button>
      </Buttons>
    </form>
  );
}
