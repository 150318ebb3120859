"""Demo story texts: diplomacy and economy (all people, countries and events are fictional)."""

from __future__ import annotations

from crawler.demo.model import Story, paras

KL_MEETING = Story(
    slug="holt-and-karsak-to-meet-in-kuala-lumpur",
    headline="Holt and Karsak to meet in Kuala Lumpur on sidelines of regional forum",
    author="Nadia Rahman",
    published="2025-07-10T09:15:00+00:00",
    tags=("diplomacy", "vestria", "dravonia"),
    summary="The two foreign ministers have not met in person since the grain dispute began.",
    paragraphs=paras("""
        KUALA LUMPUR: Vestrian Foreign Minister Marten Holt and his Dravonian counterpart
        Ilona Karsak will hold talks in Kuala Lumpur on Thursday evening, officials from
        both delegations confirmed, in what would be their first face-to-face meeting in
        more than a year.

        "The meeting is confirmed and the agenda is open," a spokesperson for the Vestrian
        foreign ministry told reporters at the convention centre, adding that the two
        ministers had spoken by telephone twice since the spring.

        The talks are expected to focus on the stalled grain corridor through the Dravonian
        port of Osk, which has operated at roughly half its capacity since inspections were
        tightened in February. Traders in both countries say the delays have added weeks
        to delivery times and pushed up freight insurance costs.

        Holt arrived in the Malaysian capital on Wednesday to attend a series of ministerial
        meetings hosted by the regional forum, which this year brings together delegations
        from more than twenty countries. Karsak is due to land on Thursday morning.

        Diplomats familiar with the preparations said a joint statement was possible but
        not guaranteed. One official described the mood as "cautiously practical" and said
        both sides wanted to avoid raising expectations before the ministers sit down.

        Analysts note that the relationship between the two neighbours has been strained
        since a dispute over fishing quotas in 2023, although trade between them has
        continued to grow. Vestria remains Dravonia's third-largest export market.

        The forum's closing session is scheduled for Friday afternoon, after which both
        ministers are expected to return to their capitals.
        """),
)

GENEVA_TALKS = Story(
    slug="holt-and-karsak-agree-to-revive-border-commission",
    headline="Holt and Karsak agree to revive joint border commission after Geneva talks",
    author="Pieter Vos",
    published="2025-09-23T16:40:00+00:00",
    tags=("diplomacy", "vestria", "dravonia"),
    summary="The commission has not met since 2021 and will first look at river crossings.",
    paragraphs=paras("""
        GENEVA: The foreign ministers of Vestria and Dravonia agreed on Tuesday to revive a
        joint border commission that has been dormant for four years, following six hours
        of talks at a lakeside hotel in Geneva.

        Marten Holt and Ilona Karsak told a brief news conference that technical teams
        would meet before the end of November to draw up a work plan. The commission's
        first task will be to review three river crossings where lorry queues regularly
        stretch for several kilometres.

        "We did not solve everything today, and we did not try to," Karsak said. "But we
        have a structure again, and structures outlast moods." Holt called the discussion
        "frank and useful" and said both governments had brought specific proposals.

        The ministers also discussed the exchange of customs data, a long-standing request
        from hauliers on both sides. A pilot scheme covering refrigerated goods could begin
        early next year if the commission approves it.

        Unlike their brief encounter in Kuala Lumpur in July, which ended without a joint
        statement, the Geneva meeting produced a two-page communique signed by both
        ministers. It makes no mention of the fishing quota dispute, which officials said
        would be handled separately.

        The talks were hosted by the Swiss foreign ministry, which offered logistical
        support but did not take part in the negotiations. A Swiss spokesperson said the
        country was ready to host further rounds if asked.

        Business groups in both countries welcomed the outcome. The Dravonian chamber of
        commerce said border delays cost exporters an estimated 40 million euros last year.
        """),
)

RATES_ON_HOLD = Story(
    slug="central-bank-holds-benchmark-rate",
    headline="Central bank holds benchmark rate at 3.25 per cent, signals patience",
    author="Lucas Ferreira",
    published="2025-06-18T12:05:00+00:00",
    tags=("economy", "vestria", "central-bank"),
    summary="Policymakers voted seven to two to keep borrowing costs unchanged.",
    paragraphs=paras("""
        ALDMOOR: The Bank of Vestria kept its benchmark interest rate at 3.25 per cent on
        Wednesday for the fourth consecutive meeting, saying it wanted more evidence that
        services inflation was cooling before considering a cut.

        The monetary policy committee voted seven to two in favour of holding rates, with
        the two dissenting members preferring a quarter-point reduction. Most economists
        polled before the decision had expected no change.

        Governor Helena Marsh said at a press briefing that headline inflation, which fell
        to 2.6 per cent in May, was moving in the right direction but that wage growth
        remained firm. "We are not in a hurry, and we do not need to be," she said.

        The bank slightly lowered its growth forecast for this year to 1.1 per cent from
        1.3 per cent, citing weaker demand from export markets and a slowdown in housing
        construction. It left its forecast for next year unchanged.

        The Vestrian crown edged higher against the euro after the announcement, while
        yields on two-year government bonds rose by four basis points as traders pushed
        back their expectations for the first cut to the autumn.

        Retail groups said the decision would prolong pressure on household budgets.
        Mortgage lenders, however, noted that fixed-rate offers had already fallen since
        March as markets priced in lower rates over the coming year.

        The committee's next decision is due on August 6, when the bank will also publish
        its quarterly monetary policy report.
        """),
)

PORT_RECORD = Story(
    slug="saltmere-port-posts-record-container-volumes",
    headline="Saltmere port posts record container volumes as new berth opens",
    author="Grace Okafor",
    published="2025-08-04T07:30:00+00:00",
    tags=("economy", "shipping"),
    summary="A deep-water berth lets the port take the largest vessels for the first time.",
    paragraphs=paras("""
        SALTMERE: The port of Saltmere handled a record 412,000 containers in July, its
        operator said on Monday, as a new deep-water berth allowed it to receive the
        largest class of container ships for the first time.

        Volumes were up 18 per cent on the same month last year. The operator, Saltmere
        Port Authority, said roughly a third of the increase came from vessels that had
        previously unloaded at larger hubs and sent cargo onwards by feeder ship.

        The new berth, which cost 260 million euros and took three years to build, has a
        depth of 17 metres and is served by four remote-controlled cranes. It opened to
        commercial traffic at the start of July after a month of trials.

        Chief executive Tomas Lindqvist said the port expected to pass five million
        containers for the full year. "Shipping lines are testing us, and so far we are
        passing the test," he said, adding that waiting times had stayed below a day.

        Hauliers have warned that road links around the port are struggling to keep up.
        Queues on the ring road at shift changes now regularly reach two kilometres,
        according to the regional transport office.

        The authority said a rail shuttle to an inland terminal would double its number
        of daily departures from September, which it expects to take around 300 lorries a
        day off the roads.
        """),
)

TRAM_LINE = Story(
    slug="new-tram-line-opens-in-kessar",
    headline="New tram line opens in Kessar after four-year build",
    author="Grace Okafor",
    published="2025-11-02T10:00:00+00:00",
    tags=("economy", "transport", "dravonia"),
    summary="The 14-kilometre line links the old town with the university district.",
    paragraphs=paras("""
        KESSAR: The first passengers boarded Kessar's new east-west tram line on Sunday,
        ending four years of construction that closed parts of the city centre and ran
        eleven months behind schedule.

        The 14-kilometre line has 22 stops and connects the old town with the university
        district and a large housing estate on the eastern edge of the Dravonian capital.
        Trams will run every six minutes at peak times.

        Mayor Dana Petrak rode the first service from the central station together with
        schoolchildren who had won a competition to name the new vehicles. "This city has
        waited a long time for this morning," she told the crowd on the platform.

        The project cost 410 million euros, around 15 per cent more than first budgeted.
        City officials blamed the overrun on the discovery of medieval foundations under
        the market square, which had to be excavated by archaeologists before work resumed.

        Transport planners expect the line to carry 60,000 passengers a day within two
        years and to remove several bus routes that currently crowd the narrow streets of
        the old town.

        Travel on the line is free for the first week. Regular fares will be the same as
        on the city's buses, and existing season tickets will be valid on the trams.
        """),
)

DRAFT_BUDGET = Story(
    slug="draft-story",
    headline="Finance ministry prepares outline of next year's budget",
    author="Lucas Ferreira",
    published="2025-11-13T18:00:00+00:00",
    tags=("economy", "vestria"),
    summary="An unpublished draft that robots.txt keeps away from crawlers.",
    paragraphs=paras("""
        ALDMOOR: The Vestrian finance ministry is preparing an outline of next year's
        budget that would keep overall spending roughly flat in real terms, according to
        a draft circulated among departments this week.

        The draft foresees higher spending on rail maintenance and flood defences, offset
        by savings in administration and a slower rollout of some digital services.
        Officials stressed that the figures were provisional.

        The cabinet is expected to discuss the outline at the end of the month, before a
        final version is sent to parliament in the new year.

        This page is an unpublished draft kept for the editors. It is not linked from any
        published article and is excluded from crawling by the site's robots.txt file.

        Opposition parties have already said they will demand more money for housing and
        for regional hospitals during the parliamentary debate.
        """),
)

AIRLINE_ROUTES = Story(
    slug="regional-carrier-adds-three-routes",
    headline="Regional carrier adds three routes to Kuala Lumpur from January",
    author="Pena Semasa",
    published="2025-07-15T03:20:00+00:00",
    tags=("business", "travel"),
    summary="Only published on the mirror blog.",
    paragraphs=paras("""
        KUALA LUMPUR: Regional airline Skyreach will add three direct routes to Kuala
        Lumpur from January, the carrier said on Tuesday, as it expands its network of
        medium-haul flights across the region.

        The new services will connect the Malaysian capital with Aldmoor, Kessar and the
        coastal city of Lindhaven, each operating four times a week with narrow-body
        aircraft seating around 180 passengers.

        Skyreach chief commercial officer Irina Bolt said demand from business travellers
        and students had grown steadily since the airline began serving the region two
        years ago. "We see strong bookings in both directions," she said.

        The airline expects to carry about 150,000 passengers on the new routes in their
        first year and said it would hire 120 cabin crew and ground staff to support the
        expansion.

        Tourism officials welcomed the announcement, saying direct flights would make it
        easier for visitors from the three cities to include Malaysia in longer trips
        around Southeast Asia.

        Tickets for the new flights go on sale next week. Introductory one-way fares will
        be available for travel booked before the end of February.
        """),
)
