"""Demo story texts: weather, sport and science (all people and events are fictional)."""

from __future__ import annotations

from crawler.demo.model import Story, paras

STORM_FLOODS = Story(
    slug="storm-floods-coastal-towns",
    headline="Storm floods coastal towns, leaving thousands without power",
    author="Maya Lindgren",
    published="2025-10-03T06:45:00+00:00",
    tags=("weather", "storm"),
    summary="Gusts of up to 130 km/h brought down power lines along the western coast.",
    paragraphs=paras("""
        LINDHAVEN: A fast-moving storm swept across the western coast overnight, flooding
        low-lying streets in several towns and leaving about 38,000 households without
        electricity on Friday morning, emergency services said.

        The national weather service recorded gusts of up to 130 kilometres per hour at
        the Lindhaven lighthouse and more than 90 millimetres of rain in twelve hours in
        the hills above the town, more than the usual total for the whole of October.

        Firefighters answered over 600 calls, most of them for fallen trees and flooded
        cellars. Two people were treated in hospital for minor injuries after a roof
        collapsed on a warehouse, but no deaths were reported.

        Rail services along the coast were suspended until midday while crews cleared
        branches from overhead lines. Ferries to the outer islands stayed in port, and the
        operator said crossings would resume on Saturday if the sea calmed as forecast.

        The grid operator said it had restored power to more than half of the affected
        homes by late morning and hoped to reconnect most of the rest by the evening.
        Some isolated farms could wait until the weekend.

        Forecasters expect the wind to ease during the afternoon, although further heavy
        showers are likely in the north. A yellow warning for rain remains in place until
        Saturday morning.

        Local authorities opened three sports halls as temporary shelters and asked
        residents to avoid driving through standing water.
        """),
)

ORCHARD_FROST = Story(
    slug="late-frost-damages-orchards",
    headline="Late frost damages orchards across northern valleys",
    author="Maya Lindgren",
    published="2025-04-21T14:10:00+00:00",
    tags=("weather", "agriculture"),
    summary="Growers fear losing up to half of this year's apple and cherry harvest.",
    paragraphs=paras("""
        ALDMOOR: Two nights of unusually late frost have damaged blossom in orchards across
        the northern valleys, and growers warned on Monday that parts of this year's apple
        and cherry harvest could be lost.

        Temperatures fell to minus four degrees Celsius in some valley floors on Saturday
        night, the weather service said, well below the level at which open blossom is
        harmed. The trees had flowered about ten days earlier than usual after a mild March.

        Many farmers spent both nights running sprinklers, which coat the blossom in a
        protective layer of ice, or lighting small heaters between the rows. Others used
        wind machines to mix warmer air from above into the orchards.

        "We did what we could, but in the lowest fields it was not enough," said Erik
        Sandberg, who grows apples on 30 hectares near the river. He estimated that he had
        lost around half of his early varieties.

        The fruit growers' association said it would only know the full extent of the
        damage in two or three weeks, when it becomes clear how many flowers have set fruit.
        Cherries, which bloom first, appear to have been hit hardest.

        The agriculture ministry said it would consider emergency support once the damage
        had been assessed. Similar frosts in 2017 cut the national apple crop by more than
        a third.
        """),
)

CUP_FINAL = Story(
    slug="harbour-city-win-cup-final-on-penalties",
    headline="Harbour City win cup final on penalties after goalless draw",
    author="Daniel Moreau",
    published="2025-05-25T21:30:00+00:00",
    tags=("sport", "football"),
    summary="Goalkeeper Jonas Brandt saved two spot kicks in the shoot-out.",
    paragraphs=paras("""
        ALDMOOR: Harbour City won the national cup for the first time in 19 years on
        Sunday, beating Northgate Rovers 4-2 on penalties after a tense final at the
        National Stadium ended goalless after extra time.

        Goalkeeper Jonas Brandt was the hero, diving to his left to save Rovers' second
        penalty and then stopping the fourth with his legs. Captain Leon Havel scored the
        decisive kick, sending the goalkeeper the wrong way.

        The match itself offered few chances. Rovers hit the post through Samir Idrissi
        midway through the first half, while Harbour City's best opportunity came late in
        normal time when a header from a corner was cleared off the line.

        A crowd of 41,200 watched the final, including around 15,000 travelling
        supporters from Harbour City who had filled a fleet of special trains that left
        the coast before dawn.

        "We were not brilliant today, but we were together," said coach Ana Kovac, who
        took charge of the club only in January. "The players deserve this, and so do the
        people who have waited so long."

        The victory earns Harbour City a place in the qualifying rounds of a European
        competition next season. Rovers, who also lost the final two years ago, will have
        to rely on their league position.

        The club will parade the trophy through the harbour district on Tuesday evening.
        """),
)

MARATHON_RECORD = Story(
    slug="osei-sets-course-record-at-aldmoor-marathon",
    headline="Osei sets course record at Aldmoor marathon",
    author="Daniel Moreau",
    published="2025-09-28T13:20:00+00:00",
    tags=("sport", "athletics"),
    summary="Cool weather and a flat new route helped the leading runners.",
    paragraphs=paras("""
        ALDMOOR: Amara Osei broke the Aldmoor marathon course record on Sunday, crossing
        the line in 2 hours 5 minutes and 41 seconds on a cool, still morning that
        organisers described as close to perfect for running.

        Osei, 27, pulled away from a group of four runners shortly after the 35-kilometre
        mark and finished 48 seconds ahead of his nearest rival. The previous record of
        2:06:58 had stood since 2019.

        The women's race was won by Lena Hartmann in 2:21:15, her first victory at the
        distance after two second-place finishes in the city. She ran much of the second
        half alone after her training partner dropped out with cramp.

        This year's route was changed to avoid a steep bridge near the finish, making the
        course almost completely flat. Organisers said the change had been requested by
        runners for several years.

        More than 18,000 people started the race, a record for the event. The city's
        health department reported a quiet day, with medical teams treating mostly
        blisters and mild dehydration.

        "I felt strong from the beginning, and the crowd carried me through the last
        kilometres," Osei said after the race, wrapped in a foil blanket. He said he would
        now take a month off before planning next season.
        """),
)

VENT_SPECIES = Story(
    slug="deep-sea-survey-finds-new-species",
    headline="Deep-sea survey finds 14 possible new species near hydrothermal vents",
    author="Sofia Marin",
    published="2025-03-12T11:00:00+00:00",
    tags=("science", "oceans"),
    summary="Researchers used a remotely operated vehicle to sample vents 2,800 metres down.",
    paragraphs=paras("""
        SALTMERE: Marine biologists returning from a six-week expedition said on Wednesday
        they had collected 14 animals that appear to belong to species unknown to science,
        living around hydrothermal vents almost three kilometres below the surface.

        The team, led by the Saltmere Institute of Oceanography, used a remotely operated
        vehicle to film and sample a field of vents on an underwater ridge. The vents
        release water heated to more than 300 degrees Celsius and rich in dissolved
        minerals.

        Among the finds are two kinds of snail with iron-rich shells, a pale crab and
        several worms that live in tubes attached to the chimneys of the vents. Chief
        scientist Dr Ines Carvalho said the animals would now be compared with museum
        collections and their DNA analysed.

        "Each vent field is like an island. Animals that live there can be found nowhere
        else," she said. Confirming a new species and publishing a formal description can
        take several years.

        The expedition also placed temperature sensors and cameras on the sea floor,
        which will record for twelve months before being recovered on a follow-up cruise.

        Scientists say such surveys are important because some vent fields lie in areas
        that are being explored for seabed mining. The researchers plan to share their
        data with the international body that regulates mining in international waters.
        """),
)

SATELLITE_LAUNCH = Story(
    slug="crop-monitoring-satellite-reaches-orbit",
    headline="Crop-monitoring satellite reaches orbit after successful launch",
    author="Sofia Marin",
    published="2025-08-19T08:50:00+00:00",
    tags=("science", "space", "agriculture"),
    summary="The satellite will measure soil moisture and plant health every five days.",
    paragraphs=paras("""
        ALDMOOR: A satellite designed to monitor crops and soil moisture reached orbit on
        Tuesday after launching from a spaceport in French Guiana, the Vestrian space agency
        said, and sent its first signals to a ground station about an hour later.

        The 900-kilogram satellite carries a camera that records light in 12 wavelength
        bands, some invisible to the human eye, which can show whether plants are stressed
        by drought or disease before farmers notice it in the field.

        It will pass over every field in the country roughly every five days. The data
        will be free to use, and the agency said it was working with farmers' groups on a
        phone application that turns the images into simple maps.

        Engineers will spend the next three months testing the instruments and moving the
        satellite into its final orbit at an altitude of about 600 kilometres. Regular
        data is expected to be available from December.

        "This is a satellite built for people who will never see a launch," said programme
        manager Karl Weber. "Its success will be measured in water saved and harvests
        protected, not in headlines."

        The mission cost about 95 million euros, including the launch and five years of
        operations. A second, identical satellite is planned for 2027 to shorten the time
        between observations to under three days.
        """),
)
