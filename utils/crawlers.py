"""Link-preview crawlers: the bots that fetch a shared link to draw its preview card."""

import re

# WhatsApp, Facebook/Instagram/Messenger, X, Telegram, Slack, Discord, LinkedIn, Google's
# preview fetchers, iMessage/Apple, Skype/Teams, Pinterest, Reddit, Viber, Signal-style
# generic embedders.
PREVIEW_CRAWLER = re.compile(
    r"whatsapp|facebookexternalhit|facebot|meta-externalagent|twitterbot|telegrambot"
    r"|slackbot|slack-imgproxy|discordbot|linkedinbot|googlebot|google-inspectiontool"
    r"|googleother|applebot|skypeuripreview|microsoftpreview|pinterest|redditbot|viber"
    r"|embedly|iframely|vkshare|bingbot",
    re.IGNORECASE,
)


def is_preview_crawler(user_agent: str | None) -> bool:
    return user_agent is not None and PREVIEW_CRAWLER.search(user_agent) is not None
