"""The countries whose public holidays the ``holidays`` library knew when this release was
made: `validate` accepts a deal.calendar among them without importing the library (a
tenth of a second, most of a validation). Any other code is looked up in the library
itself, so a country it has added since is still known; tests/test_validate_speed.py
checks that every code here is one the installed library knows."""

KNOWN_CALENDARS = frozenset([
    "ABW", "AD", "AE", "AF", "AFG", "AG", "AGO", "AI", "AIA", "AL", "ALA", "ALB", "AM", "AND",
    "AO", "AQ", "AR", "ARE", "ARG", "ARM", "AS", "ASM", "AT", "ATA", "ATF", "ATG", "AU", "AUS",
    "AUT", "AW", "AX", "AZ", "AZE", "BA", "BAH", "BB", "BD", "BDI", "BE", "BEL", "BEN", "BES",
    "BF", "BFA", "BG", "BGD", "BH", "BHS", "BI", "BIH", "BJ", "BL", "BLG", "BLM", "BLR", "BLZ",
    "BM", "BMU", "BN", "BO", "BOL", "BQ", "BR", "BRA", "BRB", "BRN", "BS", "BT", "BTN", "BV",
    "BVT", "BW", "BWA", "BY", "BZ", "CA", "CAF", "CAN", "CC", "CCK", "CD", "CF", "CG", "CH",
    "CHE", "CHL", "CHN", "CI", "CIV", "CK", "CL", "CM", "CMR", "CN", "CO", "COD", "COG", "COK",
    "COL", "COM", "CPV", "CR", "CRI", "CU", "CUB", "CUW", "CV", "CW", "CX", "CXR", "CY", "CYM",
    "CYP", "CZ", "CZE", "DE", "DEU", "DJ", "DJI", "DK", "DM", "DMA", "DNK", "DO", "DOM", "DZ",
    "DZA", "EC", "ECU", "EE", "EG", "EGY", "EH", "ER", "ERI", "ES", "ESH", "ESP", "EST", "ET",
    "ETH", "FI", "FIN", "FJ", "FJI", "FK", "FLK", "FM", "FO", "FR", "FRA", "FRO", "FSM", "GA",
    "GAB", "GB", "GBR", "GD", "GE", "GEO", "GF", "GG", "GGY", "GH", "GHA", "GI", "GIB", "GIN",
    "GL", "GLP", "GM", "GMB", "GN", "GNB", "GNQ", "GP", "GQ", "GR", "GRC", "GRD", "GRL", "GS",
    "GT", "GU", "GUA", "GUF", "GUM", "GUY", "GW", "GY", "HK", "HKG", "HM", "HMD", "HN", "HND",
    "HR", "HRV", "HT", "HTI", "HU", "HUN", "ID", "IDN", "IE", "IL", "IM", "IMN", "IN", "IND",
    "IO", "IOT", "IQ", "IR", "IRL", "IRN", "IRQ", "IS", "ISL", "ISR", "IT", "ITA", "JAM", "JE",
    "JEY", "JM", "JO", "JOR", "JP", "JPN", "KAZ", "KE", "KEN", "KG", "KGZ", "KH", "KHM", "KI",
    "KIR", "KM", "KN", "KNA", "KOR", "KP", "KR", "KW", "KWT", "KY", "KZ", "LA", "LAO", "LB",
    "LBN", "LBR", "LBY", "LC", "LCA", "LI", "LIE", "LK", "LKA", "LR", "LS", "LSO", "LT", "LTU",
    "LU", "LUX", "LV", "LVA", "LY", "MA", "MAC", "MAF", "MC", "MCO", "MD", "MDA", "MDG", "MDV",
    "ME", "MEX", "MF", "MG", "MH", "MHL", "MK", "MKD", "ML", "MLI", "MLT", "MM", "MMR", "MN",
    "MNE", "MNG", "MNP", "MO", "MOR", "MOZ", "MP", "MQ", "MR", "MRT", "MS", "MSR", "MT", "MTQ",
    "MU", "MUS", "MV", "MW", "MWI", "MX", "MY", "MYS", "MYT", "MZ", "NA", "NAM", "NC", "NCL",
    "NE", "NER", "NF", "NFK", "NG", "NGA", "NI", "NIC", "NIU", "NL", "NLD", "NO", "NOR", "NP",
    "NPL", "NR", "NRU", "NU", "NZ", "NZL", "OM", "OMN", "PA", "PAK", "PAN", "PCN", "PE", "PER",
    "PF", "PG", "PH", "PHL", "PK", "PL", "PLW", "PM", "PN", "PNG", "POL", "PR", "PRI", "PRK",
    "PRT", "PRY", "PS", "PSE", "PT", "PW", "PY", "PYF", "QA", "QAT", "RE", "REU", "RO", "ROU",
    "RS", "RU", "RUS", "RW", "RWA", "SA", "SAU", "SB", "SC", "SD", "SDN", "SE", "SEN", "SG",
    "SGP", "SGS", "SH", "SHN", "SI", "SJ", "SJM", "SK", "SL", "SLB", "SLE", "SLV", "SM", "SMR",
    "SN", "SO", "SOM", "SPM", "SR", "SRB", "SS", "SSD", "ST", "STP", "SUR", "SV", "SVK", "SVN",
    "SWE", "SX", "SXM", "SY", "SYC", "SYR", "SZ", "SZW", "TC", "TCA", "TCD", "TD", "TF", "TG",
    "TGO", "TH", "THA", "TJ", "TJK", "TK", "TKL", "TKM", "TL", "TLS", "TM", "TN", "TO", "TON",
    "TR", "TT", "TTO", "TUN", "TUR", "TUV", "TV", "TW", "TWN", "TZ", "TZA", "UA", "UG", "UGA",
    "UK", "UKR", "UM", "UMI", "URY", "US", "USA", "UY", "UZ", "UZB", "VA", "VAT", "VC", "VCT",
    "VE", "VEN", "VG", "VGB", "VI", "VIR", "VN", "VNM", "VTU", "VU", "WF", "WLF", "WS", "WSM",
    "XK", "XKK", "YE", "YEM", "YT", "ZA", "ZAF", "ZM", "ZMB", "ZW", "ZWE",
])
