"""Sentences the core says to a person, by message id, so the window can show them translated.

A refusal carries a `Msg`: an id from `MESSAGES` and its parameters. `str()` of the refusal is
the English sentence (what the command line prints); the window renders the same `Msg` with
its translator (`Msg.render(tr)`), translating the template and every parameter that is a
`Msg` itself (field labels, "3 hours"). Plain parameters (amounts, currency codes, masked
cards, numbers) are put in as they are. To add a sentence: add an id and its English template
here, raise `refusal("the.id", field, **params)`, then run `resources/i18n/update_ts.py`
(it collects these templates) and translate the new entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

MESSAGES: Mapping[str, str] = MappingProxyType(
    {
        # labels used inside other sentences
        "label.amount": "Amount",
        "label.tips": "Tips",
        "label.refund_amount": "Refund amount",
        "hours.one": "1 hour",
        "label.base_url": "base_url",
        "label.login_url": "login_url",
        "hours.n": "{n} hours",
        # money
        "currency.unknown": "Unknown currency '{code}'; use a three-letter ISO 4217 code such "
        "as HKD.",
        "amount.required": "{label} is required.",
        "amount.not_number": "{label} must be a number such as 12.50.",
        "amount.signed": "{label} must not have a sign; type it as 12.50.",
        "amount.separators": "{label} must be written without thousands separators, for "
        "example 1200.50.",
        "amount.exponent": "{label} must be a plain number such as 12.50, without exponent "
        "notation.",
        "amount.too_large": "{label} is too large; use at most {digits} digits before the "
        "decimal point.",
        "amount.zero": "{label} must be greater than zero.",
        "amount.no_decimals": "{currency} amounts have no decimal places.",
        "amount.one_decimal": "{currency} amounts have at most 1 decimal place.",
        "amount.decimals": "{currency} amounts have at most {digits} decimal places.",
        "amount.not_finite": "Amount must be a finite number.",
        "amount.unwritable": "Amount is too large to write out.",
        # cards
        "card.required": "Card number is required.",
        "card.length": "Card number must be 12 to 19 digits.",
        "card.luhn": "Card number is not valid (check digit mismatch); check it was typed "
        "correctly.",
        "card.track_mismatch": "Card number does not match the card reader data.",
        "expiry.required": "Expiry is required.",
        "expiry.shape": "Expiry must be four digits YYMM, for example 2712.",
        "expiry.month": "Expiry month must be 01 to 12; write the expiry as YYMM, for example "
        "2712.",
        "expiry.expired": "Card expired in {month}/{year}.",
        "expiry.track_mismatch": "Expiry does not match the card reader data.",
        "cvv.required": "CVV is required.",
        "cvv.shape": "CVV must be 3 or 4 digits.",
        "track2.empty": "Card reader data (track 2) is empty; read the card again.",
        "track2.shape": "Card reader data is not a valid track 2 (card number, '=', YYMM, "
        "service code); read the card again.",
        "track2.luhn": "The card number in the card reader data is not valid; read the card again.",
        "track2.expiry": "The expiry in the card reader data is not a valid YYMM; read the card "
        "again.",
        "track2.required": "Card reader data (track 2) is required for {mode}; read the card.",
        "reader_mode.unknown": "Reader mode must be one of manual, swipe, contact or contactless.",
        "card_sn.shape": "Card sequence number must be 1 to 3 digits, as the card reader gives it.",
        "card_sn.required": "Card sequence number is required for {mode}; read the card.",
        "icc.too_long": "Chip data is too long; it can be at most {n} hex characters.",
        "icc.shape": "Chip data must be hexadecimal digits in pairs, as the card reader gives it.",
        "icc.required": "Chip data (ICC) is required for {mode}; read the card.",
        "holder.too_long": "Cardholder name can be at most {n} characters.",
        "holder.unprintable": "Cardholder name contains characters that cannot be printed.",
        "mode.manual": "manual",
        "mode.swipe": "swipe",
        "mode.contact": "contact",
        "mode.contactless": "contactless",
        # transactions
        "auth_code.shape": "Authorization code must be 1 to 12 letters or digits.",
        "uuid.shape": "UUID must be 32 hex digits in the form "
        "123e4567-e89b-12d3-a456-426614174000.",
        "void.dead_sale": "This sale was declined or cancelled, so there is nothing to void.",
        "void.already": "This sale is already voided.",
        "void.refunded": "This sale already has a refund, so it cannot be voided; refund the "
        "rest instead.",
        "refund.dead_sale": "This sale was declined or cancelled, so there is nothing to refund.",
        "refund.voided": "This sale is voided, so there is nothing to refund.",
        "refund.zero": "Refund amount must be greater than zero.",
        "refund.done": "This sale is already fully refunded.",
        "refund.too_much": "Refund exceeds what is left to refund on this sale ({left}).",
        "retry.state": "Only held or failed transactions can be retried.",
        "retry.erased": "This sale's card data was erased after its final answer; take a new "
        "sale instead.",
        "give_up.state": "Only transactions held for a manager can be given up.",
        # card list
        "list.blocked": "This card is on the store's block list; ask for another card.",
        "list.not_allowed": "This card is not on the store's allowed list; ask for another card.",
        "list.none_given": "Give at least one card number.",
        "list.numbered": "Argument {index}: {problem}",
        # offline limits
        "limits.too_old": "The oldest unsent record is older than {hours}; sync before taking "
        "new offline payments.",
        "limits.over_each": "Offline sales in {currency} are limited to {cap} each (amount plus "
        "tips); take a smaller payment or wait until the gateway is reachable.",
        "limits.over_total": "This PC already holds {stored} of unsent payments and the offline "
        "limit is {total}; sync before taking this payment.",
        "limits.warn_old": "The oldest unsent record is older than {warn}; sync soon, new "
        "offline payments are refused after {refuse}.",
        "limits.no_limit": "Offline sales in {currency} are not allowed on this PC: it has no "
        "offline limit for {currency}. A manager can allow them by adding an offline limit for "
        "{currency} in Settings.",
        "limits.warn_total": "Unsent {currency} payments now add up to {sum} of the {total} "
        "offline limit; sync soon.",
        # settings
        "config.store_id": "Store id must be 1 to 32 letters, digits, '-' or '_', as given by "
        "the gateway.",
        "config.username": "Username is required.",
        "config.shop_close": "Shop-close time must be HH:MM, for example 22:30.",
        "config.batch_size": "Batch size must be between 1 and 1000.",
        "config.concurrency": "Concurrency must be between 1 and 8.",
        "config.timeout": "Request timeout must be between 1 and 300 seconds.",
        "config.send_delay": "The delay before sending must be between 0 and 3600 seconds "
        "(0: only on Sync).",
        "url.required": "The {name} address is required.",
        "url.spaces": "The {name} address must not contain spaces.",
        "url.scheme": "The {name} address must start with https://, for example "
        "https://payment.example.com.",
        "url.credentials": "The {name} address must not contain a user name or password.",
        "url.host": "The {name} address must name a host after {scheme}://.",
        "url.port": "The {name} address has a port that is not a number.",
        "url.query": "The {name} address must not contain '?' or '#'.",
        "url.plain_http": "Plain http is only allowed for this computer (127.0.0.1 or "
        "localhost); use https for {host}.",
        # the database key
        "key.passphrase_wrong": "The passphrase is wrong.",
        "key.passphrase_short": "The passphrase must be at least {n} characters long.",
        "key.no_keyring": "No OS keyring is available on this computer; use --key-store file.",
        "key.not_in_keyring": "The database key is not in this computer's keyring; log in as "
        "the user who installed Edge Uploader, or set EDGE_APP_DB_KEY.",
        "key.wrong": "The database key is wrong for this installation.",
        "key.warn_env": "The database key comes from EDGE_APP_DB_KEY; whoever can read this "
        "process's environment can read the queue.",
        "key.warn_file": "No OS keyring is available; the database key is in a "
        "passphrase-protected file, so the passphrase is needed every time the app starts.",
    }
)


@dataclass(frozen=True)
class Msg:
    """A sentence by id: `MESSAGES[id]` with `params` put in (a parameter may be a Msg)."""

    id: str
    params: tuple[tuple[str, object], ...] = ()

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The sentence, with `translate` applied to every template (the English without)."""
        template = MESSAGES[self.id]
        if translate is not None:
            template = translate(template)
        values = {
            name: value.render(translate) if isinstance(value, Msg) else value
            for name, value in self.params
        }
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder
            return MESSAGES[self.id].format(**values)

    def __str__(self) -> str:
        return self.render()


def msg(msg_id: str, **params: object) -> Msg:
    if msg_id not in MESSAGES:
        raise KeyError(f"unknown message id {msg_id!r}")
    return Msg(msg_id, tuple(params.items()))
