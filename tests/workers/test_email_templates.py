"""The email templates the workers send (workers/templates/email/), rendered by workers.mailer:
exact subjects and key lines in English and French, escaping, fallbacks and errors."""

from __future__ import annotations

import email
import email.policy
import re
from email.header import Header
from email.message import EmailMessage
from typing import Any

import pytest
from jinja2 import meta

from tests.conftest import make_settings
from workers import mailer

SETTINGS = make_settings("sqlite://:memory:")  # public_url: http://seatwise.test
BUILT_IN = {"public_url", "locale", "subject"}

# One trade-in at the top level: a grace_expired row queued before the digest.
LEGACY_GRACE_EXPIRED: dict[str, Any] = {
    "contract_number": "110000002",
    "source_product": "Revit LT",
    "target_product": "Revit",
    "grace_ended_at": "2026-12-02T09:00:00+00:00",
    "users_removed": [{"name": "Hugo Bernard", "email": "hugo.bernard@acme.example"}],
}

SAMPLES: dict[str, dict[str, Any]] = {
    "ready_to_download": {
        "user_name": "Chloé Dubois",
        "account_name": "Acme Engineering",
        "products": ["AutoCAD", "Revit"],
    },
    "trade_in_started": {
        "admin_name": "Alice Martin",
        "account_name": "Acme Engineering",
        "contract_number": "110000003",
        "source_product": "Inventor Professional",
        "target_product": "Product Design & Manufacturing Collection",
        "grace_days": 30,
        "grace_anchor": "order",
        "grace_ends_at": "2026-12-01T09:00:00+00:00",
        "serial_number_update_required": True,
        "serial_number": "399-87654321",
        "reinstall_required": True,
    },
    "grace_reminder": {
        "admin_name": "Alice Martin",
        "account_name": "Acme Engineering",
        "contract_number": "110000002",
        "source_product": "Revit LT",
        "target_product": "Revit",
        "grace_ends_at": "2026-12-02T09:00:00+00:00",
        "days_left": 7,
        "users_remaining": [
            {"name": "Hugo Bernard", "email": "hugo.bernard@acme.example"},
            {"name": "Inès Moreau", "email": "ines.moreau@acme.example"},
        ],
    },
    "grace_expired": {
        "admin_name": "Alice Martin",
        "account_name": "Acme Engineering",
        "trade_ins": [
            {
                "contract_number": "110000002",
                "source_product": "Revit LT",
                "target_product": "Revit",
                "grace_ended_at": "2026-12-02T09:00:00+00:00",
                "users_removed": [{"name": "Hugo Bernard", "email": "hugo.bernard@acme.example"}],
            }
        ],
        # The shape of rows queued before the digest (used only without `trade_ins`).
        **LEGACY_GRACE_EXPIRED,
    },
    "trade_in_requested": {
        "partner_name": "Northwind CAD Solutions",
        "account_name": "Acme Engineering",
        "contract_number": "110000002",
        "kind": "LT_TO_FULL",
        "source_product": "Revit LT",
        "target_product": "Revit",
        "seats": 3,
        "requested_by_name": "Alice Martin",
        "requested_by_email": "alice.martin@acme.example",
        "requested_at": "2026-11-02T09:00:00+00:00",
        "trade_in_id": "VHJhZGVJbjox",
    },
    "trade_in_declined": {
        "admin_name": "Alice Martin",
        "account_name": "Acme Engineering",
        "contract_number": "110000002",
        "partner_name": "Northwind CAD Solutions",
        "source_product": "Revit LT",
        "target_product": "Revit",
        "reason": "Your contract renews next month: <ask again> then & we'll upgrade it.",
        "declined_at": "2026-11-03T10:00:00+00:00",
    },
    "plan_change_completed": {
        "admin_name": "Alice Martin",
        "account_name": "Acme Engineering",
        "contract_number": "110000001",
        "from_plan": "Standard",
        "to_plan": "Premium",
        "features_gained": ["Audit log of administrative actions", "Single sign-on"],
        "completed_at": "2026-12-01T09:30:00+00:00",
    },
    "plan_change_requested": {
        "partner_name": "Northwind CAD Solutions",
        "account_name": "Acme Engineering",
        "contract_number": "110000002",
        "from_plan": "Standard",
        "to_plan": "Premium",
        "subscriptions": 2,
        "requested_by_name": "Alice Martin",
        "requested_by_email": "alice.martin@acme.example",
        "requested_at": "2026-12-01T09:30:00+00:00",
        "plan_change_id": "UGxhbkNoYW5nZTox",
    },
    "plan_change_declined": {
        "admin_name": "Alice Martin",
        "account_name": "Acme Engineering",
        "contract_number": "110000002",
        "from_plan": "Standard",
        "to_plan": "Premium",
        "partner_name": "Northwind CAD Solutions",
        "decline_reason": "Premium is sold with a 3-year term <only>.",
    },
    "user_invited": {
        "invitee_name": "Hugo Bernard",
        "account_name": "Acme <Engineering>",
        "role": "USER",
        "invited_by_name": "Alice Martin",
        "invited_by_email": "alice.martin@acme.example",
    },
    "support_case_opened": {
        "opener_name": "Bruno Leclerc",
        "account_name": "Acme <Engineering>",
        "case_number": "SC-1A2B3C4D",
        "subject": "Licence <not> found",
        "support_name": "24/7 live support (chat and phone)",
        "channel": "CHAT",
        "respond_by": "2026-12-01T10:30:00+00:00",
    },
}


def render(template: str, locale: str, **changes: Any) -> EmailMessage:
    return mailer.render(template, locale, {**SAMPLES[template], **changes}, SETTINGS)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def lines(message: EmailMessage) -> list[str]:
    return [line.strip() for line in text_of(message).splitlines()]


# Every template ---------------------------------------------------------------------------


def _template_files() -> list[str]:
    return sorted(p.name for p in mailer.TEMPLATE_DIR.iterdir() if p.is_file() and p.name[0] != "_")


def test_every_template_has_a_subject_a_text_and_an_html_part_in_each_locale() -> None:
    expected = sorted(
        f"{name}.{locale}.{part}"
        for name in SAMPLES
        for locale in mailer.SUPPORTED_LOCALES
        for part in ("subject.txt", "txt", "html")
    )
    assert _template_files() == expected


def _documented(source: str) -> list[str]:
    comment = source.split("-#}", 1)[0]
    return re.findall(r"^ {6}([a-z_]+) {2,}\S", comment, flags=re.MULTILINE)


@pytest.mark.parametrize("filename", _template_files())
def test_each_file_documents_exactly_the_variables_it_may_use(filename: str) -> None:
    source = (mailer.TEMPLATE_DIR / filename).read_text(encoding="utf-8")
    name = filename.split(".", 1)[0]
    documented = _documented(source)
    # The comment at the top lists the template's context: the same in all six files
    assert documented == list(SAMPLES[name])
    # and the file uses nothing else (besides what the mailer sets and its own variables)
    environment = mailer._environment
    used = meta.find_undeclared_variables(environment.parse(source))
    assert used - BUILT_IN <= set(documented)


@pytest.mark.parametrize("name", list(SAMPLES))
@pytest.mark.parametrize("locale", mailer.SUPPORTED_LOCALES)
def test_each_template_renders_one_line_subject_and_both_parts(name: str, locale: str) -> None:
    message = render(name, locale)
    assert "\n" not in message["Subject"]
    assert message["Content-Language"] == locale
    assert message["From"] == "seatwise <no-reply@seatwise.local>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert html_of(message).startswith(f'<!doctype html>\n<html lang="{locale}">')
    assert text_of(message).endswith("-- \nseatwise\n")


# ready_to_download --------------------------------------------------------------------------


def test_ready_to_download_in_english_lists_the_products_and_links_to_downloads() -> None:
    message = render("ready_to_download", "en")
    assert message["Subject"] == "2 new products ready to download"
    assert text_of(message) == (
        "Hello Chloé Dubois,\n"
        "\n"
        "You now have access to new products in Acme Engineering:\n"
        "\n"
        "  - AutoCAD\n"
        "  - Revit\n"
        "\n"
        "Sign in to your account to download and install them:\n"
        "http://seatwise.test/downloads\n"
        "\n"
        "You receive this email because an administrator of Acme Engineering gave you "
        "access to these products.\n"
        "\n"
        "-- \n"
        "seatwise\n"
    )
    html = html_of(message)
    assert "<li>AutoCAD</li>" in html
    assert "<li>Revit</li>" in html
    assert '<a href="http://seatwise.test/downloads"' in html


def test_ready_to_download_in_french() -> None:
    message = render("ready_to_download", "fr")
    assert message["Subject"] == "2 nouveaux produits prêts à être téléchargés"
    assert text_of(message) == (
        "Bonjour Chloé Dubois,\n"
        "\n"
        "Vous avez désormais accès à de nouveaux produits dans le compte Acme Engineering :\n"
        "\n"
        "  - AutoCAD\n"
        "  - Revit\n"
        "\n"
        "Connectez-vous à votre compte pour les télécharger et les installer :\n"
        "http://seatwise.test/downloads\n"
        "\n"
        "Vous recevez ce courriel parce qu'un administrateur du compte Acme Engineering vous "
        "a donné accès à ces produits.\n"
        "\n"
        "-- \n"
        "seatwise\n"
    )
    assert "Accéder aux téléchargements</a>" in html_of(message)


@pytest.mark.parametrize(
    ("locale", "subject", "line"),
    [
        (
            "en",
            "New product ready to download: AutoCAD",
            "Sign in to your account to download and install it:",
        ),
        (
            "fr",
            "Nouveau produit prêt à être téléchargé : AutoCAD",
            "Connectez-vous à votre compte pour le télécharger et l'installer :",
        ),
    ],
)
def test_ready_to_download_for_one_product(locale: str, subject: str, line: str) -> None:
    message = render("ready_to_download", locale, products=["AutoCAD"])
    assert message["Subject"] == subject
    assert line in lines(message)


# trade_in_started ---------------------------------------------------------------------------


def test_trade_in_started_in_english_gives_the_deadline_steps_and_notices() -> None:
    message = render("trade_in_started", "en")
    assert message["Subject"] == (
        "Your upgrade to Product Design & Manufacturing Collection has started: "
        "move your users by December 1, 2026"
    )
    text = lines(message)
    expected = [
        "Your users can keep using the old software for 30 days from the order date, until "
        "December 1, 2026, while you make the transition. After that date, their access to "
        "Inventor Professional is removed.",
        "1. Assign your users to the new Product Design & Manufacturing Collection "
        "subscription. You can filter users by contract.",
        "2. (Optional) Remove the users from the original Inventor Professional subscription.",
        "This upgrade comes from a standalone license of release 2019 or earlier, so a new "
        "serial number was issued: 399-87654321. Update the serial number on the computers "
        "where the software is installed.",
        "Update the serial number only when required, otherwise you get an Invalid Serial "
        "Number error.",
        "Your users must reinstall their software: they download Product Design & "
        "Manufacturing Collection from their account (http://seatwise.test/downloads) and "
        "install it.",
    ]
    assert [line for line in expected if line not in text] == []
    # HTML: the ampersand is escaped, the steps are an ordered list
    html = html_of(message)
    assert "<strong>Product Design &amp; Manufacturing Collection</strong>" in html
    assert "<ol>\n  <li>Assign your users" in html
    assert "<em>Invalid Serial Number</em> error." in html


def test_trade_in_started_in_french_uses_the_words_of_the_help_page() -> None:
    message = render("trade_in_started", "fr")
    assert message["Subject"] == (
        "Votre mise à niveau vers Product Design & Manufacturing Collection a commencé : "
        "attribuez vos utilisateurs d'ici le 1er décembre 2026"
    )
    text = lines(message)
    expected = [
        "Vos utilisateurs peuvent continuer à utiliser l'ancien logiciel pendant 30 jours à "
        "compter de la date de commande, soit jusqu'au 1er décembre 2026, pendant que vous "
        "effectuez la transition. Passé cette date, leur accès à Inventor Professional sera "
        "supprimé.",
        "1. Attribuez l'accès au produit au nouvel abonnement Product Design & Manufacturing "
        "Collection. Vous pouvez utiliser des filtres pour trier les utilisateurs par contrat.",
        "2. (facultatif) Supprimez l'attribution des utilisateurs de l'abonnement d'origine "
        "Inventor Professional.",
        "Cette mise à niveau provient d'un produit autonome de 2019 ou d'une version "
        "antérieure : un nouveau numéro de série a été attribué, 399-87654321. Mettez à jour "
        "le numéro de série sur les ordinateurs où le logiciel est installé.",
        "Ne mettez à jour le numéro de série que lorsque c'est nécessaire : sinon, vous "
        "obtiendrez une erreur « Numéro de série incorrect ».",
        "Vos utilisateurs doivent réinstaller leur logiciel : ils téléchargent Product Design "
        "& Manufacturing Collection depuis leur compte (http://seatwise.test/downloads) et "
        "l'installent.",
    ]
    assert [line for line in expected if line not in text] == []
    assert "<em>Numéro de série incorrect</em>." in html_of(message)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "en",
            [
                "You do not need to update serial numbers.",
                "Update the serial number only when required, otherwise you get an Invalid "
                "Serial Number error.",
                "Your users do not need to reinstall their software.",
                "Your users can keep using the old software for 30 days from the start date of "
                "the new subscription, until December 1, 2026, while you make the transition. "
                "After that date, their access to Inventor Professional is removed.",
            ],
        ),
        (
            "fr",
            [
                "Vous n'avez pas besoin de mettre à jour les numéros de série.",
                "Ne mettez à jour le numéro de série que lorsque c'est nécessaire : sinon, vous "
                "obtiendrez une erreur « Numéro de série incorrect ».",
                "Vos utilisateurs n'ont pas besoin de réinstaller leur logiciel.",
                "Vos utilisateurs peuvent continuer à utiliser l'ancien logiciel pendant 30 "
                "jours à compter de la date de début du nouvel abonnement, soit jusqu'au 1er "
                "décembre 2026, pendant que vous effectuez la transition. Passé cette date, "
                "leur accès à Inventor Professional sera supprimé.",
            ],
        ),
    ],
)
def test_trade_in_started_without_serial_update_or_reinstall(
    locale: str, expected: list[str]
) -> None:
    message = render(
        "trade_in_started",
        locale,
        serial_number_update_required=False,
        serial_number=None,
        reinstall_required=False,
        grace_anchor="commencement",
    )
    text = lines(message)
    assert [line for line in expected if line not in text] == []
    assert "399-87654321" not in text_of(message)
    assert [line for line in text if "must reinstall" in line or "doivent" in line] == []


# grace_reminder -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "days_left", "subject", "first_line"),
    [
        (
            "en",
            7,
            "7 days left to move your users to Revit",
            "Access to Revit LT on contract 110000002 (Acme Engineering) ends in 7 days, on "
            "December 2, 2026. After that date, the remaining assignments of Revit LT are "
            "removed.",
        ),
        (
            "en",
            1,
            "1 day left to move your users to Revit",
            "Access to Revit LT on contract 110000002 (Acme Engineering) ends in 1 day, on "
            "December 2, 2026. After that date, the remaining assignments of Revit LT are "
            "removed.",
        ),
        (
            "fr",
            7,
            "Plus que 7 jours pour passer vos utilisateurs à Revit",
            "L'accès à Revit LT du contrat 110000002 (Acme Engineering) prend fin dans 7 jours, "
            "le 2 décembre 2026. Passé cette date, les attributions restantes sur l'abonnement "
            "Revit LT seront supprimées.",
        ),
        (
            "fr",
            1,
            "Plus qu'un jour pour passer vos utilisateurs à Revit",
            "L'accès à Revit LT du contrat 110000002 (Acme Engineering) prend fin dans 1 jour, "
            "le 2 décembre 2026. Passé cette date, les attributions restantes sur l'abonnement "
            "Revit LT seront supprimées.",
        ),
    ],
)
def test_grace_reminder_counts_the_days_left(
    locale: str, days_left: int, subject: str, first_line: str
) -> None:
    message = render("grace_reminder", locale, days_left=days_left)
    assert message["Subject"] == subject
    assert first_line in lines(message)


@pytest.mark.parametrize(
    ("locale", "intro"),
    [
        (
            "en",
            "2 users still only have Revit LT. Assign them to the Revit subscription before "
            "that date:",
        ),
        (
            "fr",
            "2 utilisateurs n'ont encore accès qu'à Revit LT. Attribuez-leur l'abonnement "
            "Revit avant cette date :",
        ),
    ],
)
def test_grace_reminder_lists_the_users_still_only_on_the_old_subscription(
    locale: str, intro: str
) -> None:
    message = render("grace_reminder", locale)
    text = lines(message)
    assert intro in text
    assert "- Hugo Bernard <hugo.bernard@acme.example>" in text
    assert "- Inès Moreau <ines.moreau@acme.example>" in text
    assert "<li>Hugo Bernard &lt;hugo.bernard@acme.example&gt;</li>" in html_of(message)


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en", "All your users already have access to Revit: there is nothing left to do."),
        ("fr", "Tous vos utilisateurs ont déjà accès à Revit : il ne reste rien à faire."),
    ],
)
def test_grace_reminder_when_every_user_has_moved(locale: str, line: str) -> None:
    message = render("grace_reminder", locale, users_remaining=[])
    assert line in lines(message)


def test_grace_reminder_for_one_user_in_french_says_lui() -> None:
    one = [{"name": "Hugo Bernard", "email": "hugo.bernard@acme.example"}]
    message = render("grace_reminder", "fr", users_remaining=one)
    assert (
        "1 utilisateur n'a encore accès qu'à Revit LT. Attribuez-lui l'abonnement Revit avant "
        "cette date :" in lines(message)
    )


# grace_expired ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "subject", "expected"),
    [
        (
            "en",
            "Trade-in complete: access to Revit LT has ended",
            [
                "The trade-in period of Revit LT on contract 110000002 (Acme Engineering) ended "
                "on December 2, 2026. The old access was removed: the Revit LT subscription is "
                "replaced by Revit.",
                "These users were unassigned from Revit LT. If they still need the software, "
                "assign them to the Revit subscription:",
                "- Hugo Bernard <hugo.bernard@acme.example>",
            ],
        ),
        (
            "fr",
            "Reprise terminée : l'accès à Revit LT a pris fin",
            [
                "La période de reprise de l'abonnement Revit LT du contrat 110000002 (Acme "
                "Engineering) a pris fin le 2 décembre 2026. L'ancien accès a été supprimé : "
                "l'abonnement Revit LT est remplacé par Revit.",
                "Ces utilisateurs ont été retirés de l'abonnement Revit LT. S'ils ont encore "
                "besoin du logiciel, attribuez-leur l'abonnement Revit :",
                "- Hugo Bernard <hugo.bernard@acme.example>",
            ],
        ),
    ],
)
def test_grace_expired_says_the_old_access_was_removed(
    locale: str, subject: str, expected: list[str]
) -> None:
    message = render("grace_expired", locale)
    assert message["Subject"] == subject
    assert [line for line in expected if line not in lines(message)] == []
    # A row queued before the digest (its one trade-in at the top level) reads the same
    legacy = {"admin_name": "Alice Martin", "account_name": "Acme Engineering"}
    old = mailer.render("grace_expired", locale, {**legacy, **LEGACY_GRACE_EXPIRED}, SETTINGS)
    assert (old["Subject"], text_of(old), html_of(old)) == (
        subject,
        text_of(message),
        html_of(message),
    )


def _expired(**changes: Any) -> dict[str, Any]:
    return {**SAMPLES["grace_expired"]["trade_ins"][0], **changes}


@pytest.mark.parametrize(
    ("locale", "line"),
    [
        ("en", "No user was still assigned to Revit LT."),
        ("fr", "Plus aucun utilisateur n'était attribué à Revit LT."),
    ],
)
def test_grace_expired_with_nobody_left(locale: str, line: str) -> None:
    assert line in lines(render("grace_expired", locale, trade_ins=[_expired(users_removed=[])]))


@pytest.mark.parametrize(
    ("locale", "subject", "expected"),
    [
        (
            "en",
            "Trade-ins complete: access to 2 old subscriptions has ended",
            [
                "The trade-in periods of 2 subscriptions of Acme Engineering have ended. The old "
                "access was removed:",
                "Revit LT on contract 110000002, ended on December 2, 2026: replaced by Revit.",
                "These users were unassigned from Revit LT. If they still need the software, "
                "assign them to the Revit subscription:",
                "- Hugo Bernard <hugo.bernard@acme.example>",
                "AutoCAD LT on contract 110000003, ended on December 3, 2026: replaced by AutoCAD.",
                "No user was still assigned to AutoCAD LT.",
            ],
        ),
        (
            "fr",
            "Reprises terminées : l'accès à 2 anciens abonnements a pris fin",
            [
                "Les périodes de reprise de 2 abonnements du compte Acme Engineering ont pris "
                "fin. L'ancien accès a été supprimé :",
                "Revit LT du contrat 110000002, fin le 2 décembre 2026 : remplacé par Revit.",
                "Ces utilisateurs ont été retirés de l'abonnement Revit LT. S'ils ont encore "
                "besoin du logiciel, attribuez-leur l'abonnement Revit :",
                "- Hugo Bernard <hugo.bernard@acme.example>",
                "AutoCAD LT du contrat 110000003, fin le 3 décembre 2026 : remplacé par AutoCAD.",
                "Plus aucun utilisateur n'était attribué à AutoCAD LT.",
            ],
        ),
    ],
)
def test_grace_expired_lists_each_trade_in_of_the_account(
    locale: str, subject: str, expected: list[str]
) -> None:
    # Given two trade-ins of one account completed together, one with nobody left
    second = _expired(
        contract_number="110000003",
        source_product="AutoCAD LT",
        target_product="AutoCAD",
        grace_ended_at="2026-12-03T09:00:00+00:00",
        users_removed=[],
    )
    # When their admin's email is rendered
    message = render("grace_expired", locale, trade_ins=[_expired(), second])
    # Then one email names both, in order, each with who lost access
    assert message["Subject"] == subject
    found = lines(message)
    assert [line for line in expected if line not in found] == []
    assert [found.index(line) for line in expected] == sorted(
        found.index(line) for line in expected
    )
    html = html_of(message)
    assert html.index("Revit LT</strong>") < html.index("AutoCAD LT</strong>")


# trade_in_requested -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "subject", "expected"),
    [
        (
            "en",
            "Acme Engineering asks for an upgrade: Revit LT to Revit",
            [
                "Hello Northwind CAD Solutions,",
                "Acme Engineering asks to upgrade a subscription on contract 110000002, which "
                "was bought through you. The customer cannot place this order themselves: "
                "please fulfill or decline the request.",
                "Upgrade:       LT edition to the full product",
                "From:          Revit LT (3 seats)",
                "To:            Revit",
                "Requested by:  Alice Martin <alice.martin@acme.example>, on November 2, 2026",
                "Trade-in ID:   VHJhZGVJbjox",
                "Answer through the seatwise API with your partner token: the tradeInFulfill "
                "or tradeInDecline mutation, with the trade-in ID above.",
            ],
        ),
        (
            "fr",
            "Acme Engineering demande une mise à niveau : Revit LT vers Revit",
            [
                "Bonjour Northwind CAD Solutions,",
                "Acme Engineering demande la mise à niveau d'un abonnement du contrat "
                "110000002, acheté par votre intermédiaire. Le client ne peut pas passer cette "
                "commande lui-même : merci de traiter ou de refuser la demande.",
                "Mise à niveau :  édition LT vers le produit complet",
                "De :             Revit LT (3 postes)",
                "Vers :           Revit",
                "Demandée par :   Alice Martin <alice.martin@acme.example>, le 2 novembre 2026",
                "Reprise n° :     VHJhZGVJbjox",
                "Répondez par l'API seatwise avec votre jeton partenaire : mutation "
                "tradeInFulfill ou tradeInDecline, avec le numéro de reprise ci-dessus.",
            ],
        ),
    ],
)
def test_trade_in_requested_asks_the_partner_to_fulfill_or_decline(
    locale: str, subject: str, expected: list[str]
) -> None:
    message = render("trade_in_requested", locale)
    assert message["Subject"] == subject
    assert [line for line in expected if line not in lines(message)] == []
    assert "<code>VHJhZGVJbjox</code>" in html_of(message)


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("PRODUCT_TO_COLLECTION", "Upgrade:       product to an industry collection"),
        ("SUITE_TO_COLLECTION", "Upgrade:       suite to a collection"),
    ],
)
def test_trade_in_requested_names_each_kind(kind: str, label: str) -> None:
    assert label in lines(render("trade_in_requested", "en", kind=kind))


def test_trade_in_requested_with_an_unknown_kind_is_a_permanent_error() -> None:
    with pytest.raises(mailer.PermanentMailError):
        render("trade_in_requested", "en", kind="SOMETHING_ELSE")


# Rendering rules ----------------------------------------------------------------------------


def test_html_is_escaped_and_text_is_not() -> None:
    # Given names that look like markup
    message = render(
        "ready_to_download",
        "en",
        user_name="<script>alert(1)</script>",
        products=['Maya & "3ds Max"'],
    )
    # Then the HTML part shows them as text
    html = html_of(message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "<li>Maya &amp; &#34;3ds Max&#34;</li>" in html
    # and the text part and the subject keep them as they are
    assert "Hello <script>alert(1)</script>," in lines(message)
    assert message["Subject"] == 'New product ready to download: Maya & "3ds Max"'


def test_an_unknown_locale_falls_back_to_english() -> None:
    message = render("ready_to_download", "de")
    assert message["Subject"] == "2 new products ready to download"
    assert message["Content-Language"] == "en"
    assert lines(message)[0] == "Hello Chloé Dubois,"


def test_a_missing_variable_is_a_permanent_error_naming_it() -> None:
    context = dict(SAMPLES["ready_to_download"])
    del context["account_name"]
    with pytest.raises(mailer.PermanentMailError) as caught:
        mailer.render("ready_to_download", "fr", context, SETTINGS)
    assert str(caught.value) == "cannot render ready_to_download.fr: 'account_name' is undefined"


def test_an_unknown_template_is_a_permanent_error() -> None:
    with pytest.raises(mailer.PermanentMailError) as caught:
        mailer.render("no_such_email", "en", {}, SETTINGS)
    assert str(caught.value) == "no email template no_such_email.en.subject.txt"


def test_a_line_break_in_the_data_never_breaks_the_subject_header() -> None:
    message = render("ready_to_download", "en", products=["AutoCAD\r\nBcc: victim@example.com"])
    assert message["Subject"] == "New product ready to download: AutoCAD Bcc: victim@example.com"
    assert message["Bcc"] is None


@pytest.mark.parametrize(
    ("value", "english", "french"),
    [
        ("2026-12-01", "December 1, 2026", "1er décembre 2026"),
        ("2026-02-28T23:30:00+00:00", "February 28, 2026", "28 février 2026"),
    ],
)
def test_dates_are_written_in_the_readers_language(value: str, english: str, french: str) -> None:
    for locale, expected in (("en", english), ("fr", french)):
        message = render("grace_expired", locale, trade_ins=[_expired(grace_ended_at=value)])
        assert expected in text_of(message)


def test_a_malformed_date_is_a_permanent_error() -> None:
    with pytest.raises(mailer.PermanentMailError):
        render("grace_expired", "en", trade_ins=[_expired(grace_ended_at="next tuesday")])


# The fixed boundary between the parts (mailer.BOUNDARY) relies on quoted-printable parts.
def test_the_part_boundary_written_in_the_data_does_not_split_the_message() -> None:
    # Given data that puts the boundary's own lines in the parts
    delimiter = f"--{mailer.BOUNDARY}"
    products = [f"AutoCAD\n{delimiter}", f"Revit\n{delimiter}--"]
    context = {**SAMPLES["ready_to_download"], "products": products}
    # When the message is composed for SMTP and read back
    raw = mailer.compose("ready_to_download", "en", context, SETTINGS, recipient="a@b.example")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    # Then it has its two parts, each with the data as it was
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert lines(message)[4:8] == ["- AutoCAD", delimiter, "- Revit", f"{delimiter}--"]
    assert f"<li>Revit\r\n{delimiter}--</li>" in html_of(message)
    # (the boundary itself opens each part: twice)
    assert raw.count(f"\r\n{delimiter}\r\n".encode()) == 2


COMPAT32_WIRE = email.policy.compat32.clone(linesep="\r\n")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Subject", "2 new products ready to download"),
        ("Subject", "  runs  of   spaces, ; commas = and ?= signs "),
        ("Subject", "x" * 69),  # the line is 78 characters: as it is
        ("Subject", "x" * 70),  # 79: folded
        ("To", "a-rather-long-local-part-for-a-mailbox@" + "sub." * 10 + "example.com"),
        ("Subject", "a\tb"),
        ("Subject", "a\x0bb"),  # compat32 turns a vertical tab into a line break
        ("Subject", "a\x0cb"),
        ("Subject", "Vos produits sont prêts"),
        ("Subject", Header("Vos produits sont prêts", "utf-8")),
    ],
)
def test_headers_are_written_byte_for_byte_as_compat32_writes_them(name: str, value: Any) -> None:
    # mailer writes short printable ASCII headers itself; every header must come out as
    # the email package's compat32 policy (with CRLF) writes it
    assert mailer._WIRE.fold_binary(name, value) == COMPAT32_WIRE.fold_binary(name, value)


def test_a_header_with_an_embedded_header_is_refused_as_compat32_refuses_it() -> None:
    with pytest.raises(email.errors.HeaderParseError):
        mailer._WIRE.fold_binary("Subject", "AutoCAD\x0bBcc: victim@example.com")


def test_message_ids_are_stable_per_outbox_row() -> None:
    first = mailer.message_id_for("0b4c1f5e-row", SETTINGS)
    assert first == "<0b4c1f5e-row@seatwise.test>"
    assert mailer.message_id_for("0b4c1f5e-row", SETTINGS) == first


# trade_in_declined --------------------------------------------------------------------------


def test_trade_in_declined_in_english_gives_the_partner_and_its_reason() -> None:
    # Given the partner's answer; When it is rendered for an English-speaking admin
    message = render("trade_in_declined", "en")
    # Then the subject names the partner and the product; the body quotes the reason
    assert message["Subject"] == "Northwind CAD Solutions declined your upgrade to Revit"
    text = lines(message)
    expected = [
        "Hello Alice Martin,",
        "Northwind CAD Solutions declined the request to upgrade Revit LT to Revit on contract "
        "110000002 (Acme Engineering), on November 3, 2026.",
        "Their reason:",
        "Your contract renews next month: <ask again> then & we'll upgrade it.",
        "Your Revit LT subscription is unchanged: your users keep their access. Contact "
        "Northwind CAD Solutions if you have questions, or ask again once the reason is "
        "resolved.",
    ]
    assert [line for line in expected if line not in text] == []
    # And the reason, the partner's own words, is escaped in HTML
    assert "next month: &lt;ask again&gt; then &amp; we&#39;ll upgrade it.</blockquote>" in (
        html_of(message)
    )


def test_trade_in_declined_in_french() -> None:
    # When it is rendered for a French-speaking admin
    message = render("trade_in_declined", "fr")
    # Then subject and body are in French, with the French date
    assert message["Subject"] == "Northwind CAD Solutions a refusé votre mise à niveau vers Revit"
    text = lines(message)
    expected = [
        "Bonjour Alice Martin,",
        "Northwind CAD Solutions a refusé, le 3 novembre 2026, la demande de mise à niveau de "
        "Revit LT vers Revit du contrat 110000002 (Acme Engineering).",
        "Motif indiqué :",
        "Your contract renews next month: <ask again> then & we'll upgrade it.",
    ]
    assert [line for line in expected if line not in text] == []


# plan_change_completed, plan_change_requested, plan_change_declined --------------------------


def test_plan_change_completed_in_english_lists_the_features_gained() -> None:
    message = render("plan_change_completed", "en")
    assert message["Subject"] == "Contract 110000001 is now on the Premium plan"
    assert text_of(message) == (
        "Hello Alice Martin,\n"
        "\n"
        "Contract 110000001 (Acme Engineering) moved from the Standard plan to the Premium "
        "plan on December 1, 2026. Every active subscription on it moved; seats, serial "
        "numbers and installations stay as they are.\n"
        "\n"
        "Your account has these features now:\n"
        "  - Audit log of administrative actions\n"
        "  - Single sign-on\n"
        "\n"
        "You receive this email because you are an administrator of Acme Engineering.\n"
        "\n"
        "-- \n"
        "seatwise\n"
    )
    assert "<li>Single sign-on</li>" in html_of(message)


def test_plan_change_completed_in_french_without_new_features() -> None:
    message = render("plan_change_completed", "fr", features_gained=[])
    assert message["Subject"] == "Le contrat 110000001 est passé au plan Premium"
    text = lines(message)
    assert (
        "Le contrat 110000001 (Acme Engineering) est passé du plan Standard au plan Premium le "
        "1er décembre 2026. Tous ses abonnements actifs ont changé de plan ; les postes, les "
        "numéros de série et les installations restent inchangés." in text
    )
    assert [line for line in text if "fonctionnalités" in line] == []
    assert "<ul>" not in html_of(message)


@pytest.mark.parametrize(
    ("locale", "subject", "expected"),
    [
        (
            "en",
            "Acme Engineering asks for a plan change: Standard to Premium",
            [
                "From plan:       Standard",
                "To plan:         Premium",
                "Subscriptions:   2 active subscriptions",
                "Requested by:    Alice Martin <alice.martin@acme.example>, on December 1, 2026",
                "Plan change ID:  UGxhbkNoYW5nZTox",
            ],
        ),
        (
            "fr",
            "Acme Engineering demande un changement de plan : Standard vers Premium",
            [
                "Plan actuel :        Standard",
                "Plan demandé :       Premium",
                "Abonnements :        2 abonnements actifs",
                "Demandé par :        Alice Martin <alice.martin@acme.example>, le 1er décembre "
                "2026",
                "Changement n° :      UGxhbkNoYW5nZTox",
            ],
        ),
    ],
)
def test_plan_change_requested_tells_the_partner_what_to_answer(
    locale: str, subject: str, expected: list[str]
) -> None:
    message = render("plan_change_requested", locale)
    assert message["Subject"] == subject
    raw = [line.rstrip() for line in text_of(message).splitlines()]
    assert [line for line in expected if "  " + line not in raw] == []
    assert "<code>planChangeFulfill</code>" in html_of(message)


def test_plan_change_requested_for_one_subscription() -> None:
    assert "Subscriptions:   1 active subscription" in lines(
        render("plan_change_requested", "en", subscriptions=1)
    )


@pytest.mark.parametrize(
    ("locale", "subject", "first_line"),
    [
        (
            "en",
            "Northwind CAD Solutions declined the move of contract 110000002 to Premium",
            "Northwind CAD Solutions declined your request to move contract 110000002 (Acme "
            "Engineering) from the Standard plan to the Premium plan. The contract stays on the "
            "Standard plan.",
        ),
        (
            "fr",
            "Northwind CAD Solutions a refusé le passage du contrat 110000002 au plan Premium",
            "Northwind CAD Solutions a refusé votre demande de passage du contrat 110000002 "
            "(Acme Engineering) du plan Standard au plan Premium. Le contrat reste au plan "
            "Standard.",
        ),
    ],
)
def test_plan_change_declined_gives_the_partners_reason(
    locale: str, subject: str, first_line: str
) -> None:
    message = render("plan_change_declined", locale)
    assert message["Subject"] == subject
    text = lines(message)
    assert first_line in text
    assert "Premium is sold with a 3-year term <only>." in text
    # The reason is the partner's text: escaped in HTML
    assert "3-year term &lt;only&gt;." in html_of(message)


# user_invited -------------------------------------------------------------------------------


def test_user_invited_in_english_names_the_inviter_and_links_to_sign_in() -> None:
    message = render("user_invited", "en")
    assert message["Subject"] == "Alice Martin added you to Acme <Engineering> on seatwise"
    assert text_of(message) == (
        "Hello Hugo Bernard,\n"
        "\n"
        "Alice Martin <alice.martin@acme.example> added you to Acme <Engineering> on seatwise, "
        "as a member.\n"
        "\n"
        "Sign in with this email address to see the products you can use:\n"
        "http://seatwise.test/\n"
        "\n"
        "You receive this email because an administrator of Acme <Engineering> invited you. "
        "If you do not expect it, you can ignore it.\n"
        "\n"
        "-- \n"
        "seatwise\n"
    )
    # The account's name is escaped in HTML
    assert "<strong>Acme &lt;Engineering&gt;</strong>" in html_of(message)


def test_user_invited_in_french_as_an_admin() -> None:
    message = render("user_invited", "fr", role="SECONDARY_ADMIN")
    assert message["Subject"] == "Alice Martin vous a ajouté à Acme <Engineering> sur seatwise"
    assert lines(message)[2:5] == [
        "Alice Martin <alice.martin@acme.example> vous a ajouté à Acme <Engineering> sur "
        "seatwise, en tant qu'administrateur.",
        "",
        "Connectez-vous avec cette adresse pour voir les produits que vous pouvez utiliser et "
        "gérer le compte :",
    ]


def test_user_invited_without_a_known_inviter_says_an_administrator() -> None:
    message = render("user_invited", "en", invited_by_name="", invited_by_email="")
    assert message["Subject"] == "An administrator added you to Acme <Engineering> on seatwise"
    assert lines(message)[2] == (
        "An administrator added you to Acme <Engineering> on seatwise, as a member."
    )
