"""What the VK side keeps of a person goes when they ask for their data to be deleted."""

from __future__ import annotations

from conversations.models import Contact
from vk.models import VkEvent


def forget_events(sender, *, channel: str, external_id: str, **_identity) -> None:
    """The stored events of the person's private conversation with the community."""
    if channel != Contact.Channel.VK:
        return
    group_id, _colon, user_id = external_id.partition(":")
    if group_id.isdigit() and user_id.isdigit():
        VkEvent.objects.filter(community__group_id=int(group_id), peer_id=int(user_id)).delete()
