"""Presence in a large group chat in a real browser: more than
PRESENCE_DIRECT_MAX_MEMBERS (50) members, so presence comes as coalesced
``presence.summary`` frames (docs/messaging.md, "Presence") and static/js/chat.js
shows who is online from them."""

from playwright.sync_api import expect

from mentoring.models import Participant
from tests.browser.chat_page import open_chat
from tests.factories import OrganizationFactory, member
from tests.mentoring.factories import mentor
from tests.messaging.factories import engagement_chat

MEMBERS = 52


def test_a_large_group_chat_shows_who_is_online_from_the_coalesced_summaries(new_person, live_url):
    org = OrganizationFactory()
    people = [(mentor(org, full_name="Ana Mentor"), Participant.Role.MENTOR)] + [
        (member(org, full_name=f"Seeker {n}"), Participant.Role.SEEKER) for n in range(MEMBERS - 1)
    ]
    conversation, users = engagement_chat(org, people=people, kind="group")
    ana, sam, third = users[0], users[1], users[2]

    sam_page = open_chat(new_person, live_url, sam, conversation)
    ana_page = open_chat(new_person, live_url, ana, conversation)

    ana_node = sam_page.locator(f'[data-member="{ana.pk}"]')
    expect(ana_node).to_have_attribute("data-presence", "online")
    expect(sam_page.locator(f'[data-member="{third.pk}"]')).to_have_attribute("data-presence", "offline")

    ana_page.close()
    expect(ana_node).to_have_attribute("data-presence", "offline", timeout=15_000)
    sam_page.problems.assert_none()
