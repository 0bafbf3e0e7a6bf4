"""Word lists for demo company names. Sector order follows ``profiles.SECTORS``."""

from __future__ import annotations

from typing import Final

# Chinese cities: name, pinyin, weight, administrative division codes (GB/T 2260) of districts.
CN_CITIES: Final[tuple[tuple[str, str, float, tuple[str, ...]], ...]] = (
    ("上海", "Shanghai", 10, ("310115", "310104", "310112", "310114")),
    ("深圳", "Shenzhen", 9, ("440305", "440306", "440304", "440307")),
    ("北京", "Beijing", 8, ("110105", "110108", "110106", "110115")),
    ("广州", "Guangzhou", 7, ("440106", "440113", "440111", "440114")),
    ("杭州", "Hangzhou", 6, ("330106", "330108", "330110")),
    ("苏州", "Suzhou", 6, ("320505", "320506", "320583")),
    ("宁波", "Ningbo", 4, ("330212", "330206")),
    ("东莞", "Dongguan", 5, ("441900",)),
    ("佛山", "Foshan", 4, ("440606", "440605")),
    ("天津", "Tianjin", 4, ("120116", "120104")),
    ("重庆", "Chongqing", 4, ("500112", "500105")),
    ("成都", "Chengdu", 4, ("510107", "510116")),
    ("武汉", "Wuhan", 4, ("420106", "420111")),
    ("南京", "Nanjing", 4, ("320115", "320106")),
    ("无锡", "Wuxi", 3, ("320214", "320213")),
    ("厦门", "Xiamen", 3, ("350206", "350211")),
    ("青岛", "Qingdao", 3, ("370211", "370212")),
    ("温州", "Wenzhou", 2, ("330302", "330381")),
    ("泉州", "Quanzhou", 2, ("350503", "350582")),
    ("常州", "Changzhou", 2, ("320411", "320412")),
    ("西安", "Xi'an", 2, ("610113", "610112")),
    ("长沙", "Changsha", 2, ("430104", "430111")),
    ("郑州", "Zhengzhou", 2, ("410105", "410122")),
    ("合肥", "Hefei", 2, ("340104", "340111")),
    ("济南", "Jinan", 2, ("370102", "370112")),
    ("沈阳", "Shenyang", 1, ("210102", "210106")),
    ("大连", "Dalian", 1, ("210204", "210213")),
    ("义乌", "Yiwu", 1, ("330782",)),
)

# Characters of trade names (字号) with their pinyin.
CN_TRADE_CHARS: Final[tuple[tuple[str, str], ...]] = (
    ("华", "hua"),
    ("恒", "heng"),
    ("宏", "hong"),
    ("鑫", "xin"),
    ("永", "yong"),
    ("金", "jin"),
    ("德", "de"),
    ("盛", "sheng"),
    ("泰", "tai"),
    ("隆", "long"),
    ("兴", "xing"),
    ("瑞", "rui"),
    ("新", "xin"),
    ("中", "zhong"),
    ("东", "dong"),
    ("天", "tian"),
    ("海", "hai"),
    ("嘉", "jia"),
    ("信", "xin"),
    ("达", "da"),
    ("联", "lian"),
    ("创", "chuang"),
    ("博", "bo"),
    ("晨", "chen"),
    ("明", "ming"),
    ("安", "an"),
    ("百", "bai"),
    ("万", "wan"),
    ("力", "li"),
    ("通", "tong"),
    ("远", "yuan"),
    ("富", "fu"),
    ("福", "fu"),
    ("佳", "jia"),
    ("锦", "jin"),
    ("凯", "kai"),
    ("汇", "hui"),
    ("源", "yuan"),
    ("润", "run"),
    ("丰", "feng"),
    ("昌", "chang"),
    ("荣", "rong"),
    ("成", "cheng"),
    ("益", "yi"),
    ("宝", "bao"),
    ("美", "mei"),
    ("亿", "yi"),
    ("正", "zheng"),
    ("大", "da"),
    ("立", "li"),
    ("科", "ke"),
    ("光", "guang"),
    ("峰", "feng"),
    ("腾", "teng"),
)

# Industry words per sector: Chinese and the English rendering used in the Latin name.
CN_INDUSTRY: Final[tuple[tuple[tuple[str, str], ...], ...]] = (
    (
        ("机械制造", "Machinery Manufacturing"),
        ("五金制品", "Hardware Products"),
        ("精密机械", "Precision Machinery"),
        ("金属制品", "Metal Products"),
    ),
    (
        ("电子科技", "Electronic Technology"),
        ("电器", "Electric Appliance"),
        ("光电", "Optoelectronics"),
        ("智能科技", "Intelligent Technology"),
    ),
    (("化工", "Chemical"), ("新材料", "New Materials"), ("塑胶制品", "Plastic Products")),
    (
        ("纺织", "Textile"),
        ("服饰", "Garment"),
        ("针织", "Knitting"),
        ("皮革制品", "Leather Products"),
    ),
    (("食品", "Food"), ("农业发展", "Agricultural Development"), ("饮品", "Beverage")),
    (
        ("建设工程", "Construction Engineering"),
        ("建筑工程", "Building Engineering"),
        ("建材", "Building Materials"),
        ("装饰工程", "Decoration Engineering"),
    ),
    (
        ("贸易", "Trading"),
        ("进出口", "Import and Export"),
        ("商贸", "Commerce and Trade"),
        ("供应链管理", "Supply Chain Management"),
    ),
    (
        ("物流", "Logistics"),
        ("国际货运代理", "International Freight Forwarding"),
        ("运输", "Transportation"),
    ),
    (
        ("信息技术", "Information Technology"),
        ("软件", "Software"),
        ("网络科技", "Network Technology"),
        ("企业管理咨询", "Management Consulting"),
    ),
    (("汽车零部件", "Auto Parts"), ("汽车配件", "Auto Accessories")),
    (("新能源", "New Energy"), ("能源", "Energy"), ("环保科技", "Environmental Technology")),
    (
        ("房地产开发", "Real Estate Development"),
        ("置业", "Property"),
        ("酒店管理", "Hotel Management"),
    ),
)

# Chinese legal forms with weights; all render as "Co., Ltd." in English.
CN_LEGAL_FORMS: Final[tuple[tuple[str, float], ...]] = (
    ("有限公司", 0.78),
    ("股份有限公司", 0.15),
    ("有限责任公司", 0.07),
)

# Languages that put the industry word before the family name ("Transports Dupont").
INDUSTRY_FIRST: Final = frozenset({"fr", "it", "es", "pt"})

# Industry words per language and sector; variants separated by "|".
INDUSTRY: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        "Metal Works|Precision Engineering|Machinery",
        "Electronics|Electric",
        "Chemicals|Plastics",
        "Textiles|Apparel",
        "Foods|Farms",
        "Construction|Builders",
        "Trading|Supply|Distribution",
        "Logistics|Freight",
        "Software|Consulting|Systems",
        "Auto Parts|Automotive",
        "Energy|Recycling",
        "Properties|Hospitality",
    ),
    "de": (
        "Metallbau|Maschinenbau|Präzisionstechnik",
        "Elektronik|Elektrotechnik",
        "Chemie|Kunststofftechnik",
        "Textil|Bekleidung",
        "Lebensmittel|Feinkost",
        "Bau|Hochbau|Baustoffe",
        "Handel|Großhandel|Vertrieb",
        "Logistik|Spedition",
        "Software|Beratung|Systemhaus",
        "Autoteile|Fahrzeugtechnik",
        "Energie|Recycling",
        "Immobilien|Hotelbetriebe",
    ),
    "fr": (
        "Métallurgie|Mécanique|Usinage",
        "Électronique|Électricité",
        "Chimie|Plasturgie",
        "Textiles|Confection",
        "Alimentation|Conserveries",
        "Construction|Bâtiment",
        "Négoce|Distribution",
        "Transports|Logistique",
        "Informatique|Conseil",
        "Équipements Automobiles",
        "Énergie|Recyclage",
        "Immobilier|Hôtellerie",
    ),
    "it": (
        "Meccanica|Metallurgica|Carpenteria",
        "Elettronica|Elettrica",
        "Chimica|Plastica",
        "Tessile|Confezioni",
        "Alimentari|Conserve",
        "Costruzioni|Edilizia",
        "Commerciale|Distribuzione",
        "Trasporti|Logistica",
        "Informatica|Consulting",
        "Componenti Auto|Ricambi",
        "Energia|Ecologia",
        "Immobiliare|Alberghi",
    ),
    "es": (
        "Metalúrgica|Mecanizados",
        "Electrónica|Eléctrica",
        "Química|Plásticos",
        "Textil|Confecciones",
        "Alimentación|Conservas",
        "Construcciones|Obras",
        "Comercial|Distribuciones",
        "Transportes|Logística",
        "Informática|Consultores",
        "Autopartes|Recambios",
        "Energía|Reciclajes",
        "Inmobiliaria|Hoteles",
    ),
    "pt": (
        "Metalúrgica|Usinagem",
        "Eletrônica|Elétrica",
        "Química|Plásticos",
        "Têxtil|Confecções",
        "Alimentos|Agropecuária",
        "Construtora|Engenharia",
        "Comércio|Distribuidora",
        "Transportes|Logística",
        "Informática|Consultoria",
        "Autopeças",
        "Energia|Reciclagem",
        "Empreendimentos|Hotelaria",
    ),
    "nl": (
        "Metaal|Machinebouw",
        "Elektronica|Elektrotechniek",
        "Chemie|Kunststoffen",
        "Textiel|Kleding",
        "Voedingsmiddelen|Food",
        "Bouw|Aannemersbedrijf",
        "Handel|Groothandel",
        "Transport|Logistiek",
        "Software|Advies",
        "Autoonderdelen",
        "Energie|Recycling",
        "Vastgoed|Hotels",
    ),
    "pl": (
        "Metal|Mechanika",
        "Elektronika|Elektro",
        "Chemia|Plast",
        "Tekstylia|Odzież",
        "Żywność|Spożywcza",
        "Budownictwo|Bud",
        "Handel|Hurtownia",
        "Transport|Logistyka",
        "Informatyka|Doradztwo",
        "Części Samochodowe",
        "Energia|Recykling",
        "Nieruchomości|Hotele",
    ),
    "tr": (
        "Makina|Metal",
        "Elektronik|Elektrik",
        "Kimya|Plastik",
        "Tekstil|Konfeksiyon",
        "Gıda|Tarım",
        "İnşaat|Yapı",
        "Dış Ticaret|Pazarlama",
        "Lojistik|Nakliyat",
        "Bilişim|Danışmanlık",
        "Otomotiv|Yedek Parça",
        "Enerji|Geri Dönüşüm",
        "Gayrimenkul|Turizm",
    ),
    "ja": (
        "Seiki|Kinzoku Kogyo|Tekko",
        "Denki|Denshi",
        "Kagaku|Jushi",
        "Seni|Orimono",
        "Shokuhin|Seika",
        "Kensetsu|Komuten",
        "Shoji|Bussan",
        "Unyu|Butsuryu",
        "Systems|Joho Service",
        "Jidosha Buhin|Kogyo",
        "Energy|Kankyo",
        "Fudosan|Kaihatsu",
    ),
}

SURNAMES: Final[dict[str, str]] = {
    "en": "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
    "Martin Jackson Thompson White Harris Clark Lewis Walker Hall Allen Young King Wright Scott "
    "Green Baker Adams Carter Mitchell Turner Parker Evans Collins Hughes Bennett Cooper Ward "
    "Morgan",
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann "
    "Lange Schmitt Werner Krause Meier Lehmann Huber Kaiser Fuchs Vogel Keller",
    "fr": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
    "Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont "
    "Lambert Bonnet François Legrand Garnier Faure Rousseau Blanc Guérin Chevalier",
    "it": "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo "
    "Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani "
    "Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Serra",
    "es": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Martín Jiménez "
    "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez "
    "Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro",
    "pt": "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro "
    "Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade "
    "Moreira Nunes Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira",
    "nl": "De_Jong Jansen De_Vries Van_den_Berg Van_Dijk Bakker Janssen Visser Smit Meijer "
    "De_Boer Mulder De_Groot Bos Vos Peters Hendriks Van_Leeuwen Dekker Brouwer De_Wit Dijkstra "
    "Smits De_Graaf Van_der_Meer Van_der_Linden Kok Jacobs De_Haan Vermeulen",
    "pl": "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański "
    "Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski "
    "Nowakowski Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Nowicki Majewski Olszewski "
    "Stępień Malinowski",
    "tr": "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç "
    "Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Özer Akın Güneş Aksoy Tekin Ünal Uçar Bulut "
    "Erdem",
    "ja": "Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada "
    "Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Ikeda Hashimoto "
    "Ishikawa Ogawa Okada Fujita Goto Hasegawa Murakami Kondo",
    "ko": "Hanil Daewon Samil Dongyang Sejin Hanseong Daeil Seyang Jinyang Taesan Yuil Sunil "
    "Myungsung Kukil Daedo Samjin Hwaseong Shinil Dongil Seowon Haein Jeil Woosung Kwangmyung "
    "Cheonil Hanbit Saerom Mirae Boseong Gwangil",
    "vi": "Hoàng_Phát Minh_Long Thành_Công Việt_Tiến An_Phát Phú_Thái Hòa_Bình Tân_Á Đại_Việt "
    "Sao_Mai Trường_Thịnh Hưng_Thịnh Kim_Long Nam_Việt Bình_Minh Phương_Đông Thiên_Long Hải_Âu "
    "Đông_Á Quang_Minh Thuận_Phát Tiến_Đạt Vạn_Xuân Hồng_Hà Nhật_Quang Phúc_Lộc Tân_Tiến "
    "Gia_Bảo Thịnh_Vượng Hưng_Long",
    "hi": "Sharma Patel Gupta Agarwal Mehta Shah Reddy Iyer Nair Singh Kumar Jain Bansal Malhotra "
    "Kapoor Chopra Rao Desai Joshi Verma Mishra Bhatia Khanna Sethi Kulkarni Pillai Menon "
    "Chatterjee Banerjee Das",
    "ar": "Al_Mansoori Al_Falasi Al_Suwaidi Al_Marzouqi Al_Hashimi Al_Ketbi Al_Shamsi Al_Mazrouei "
    "Al_Dhaheri Al_Rashid Al_Ghanim Al_Mutairi Al_Ajmi Al_Enezi Al_Otaibi Al_Kandari Al_Shammari "
    "Al_Zaabi Al_Ali Al_Hammadi Al_Nuaimi Al_Mulla Al_Bloushi Al_Kuwari Al_Hajri Al_Rumaithi "
    "Al_Qubaisi Al_Tamimi Al_Jaber Al_Saleh",
}

# Local places used in names, per country.
PLACES: Final[dict[str, str]] = {
    "DE": "Hamburg München Köln Stuttgart Frankfurt Düsseldorf Bremen Hannover Nürnberg Leipzig "
    "Dresden Dortmund Essen Bielefeld Augsburg",
    "US": "Chicago Houston Atlanta Dallas Denver Boston Seattle Phoenix Detroit Cleveland "
    "Portland Columbus Charlotte Nashville Midwest Pacific Atlantic",
    "FR": "Lyon Marseille Toulouse Nantes Bordeaux Lille Rennes Strasbourg Grenoble Paris "
    "Normandie Provence Alsace",
    "IT": "Milano Torino Bologna Brescia Bergamo Verona Padova Vicenza Modena Firenze Napoli Bari "
    "Lombarda Veneta Emiliana",
    "GB": "London Midlands Yorkshire Manchester Birmingham Leeds Bristol Sheffield Northern Thames "
    "Pennine Highland Anglia",
    "JP": "Tokai Kansai Chubu Tohoku Kyushu Hokuriku Nippon Toyo Osaka Nagoya Yokohama Kobe",
    "KR": "Seoul Busan Incheon Daegu Ulsan Gwangju Daejeon Changwon Hanguk Korea",
    "IN": "Mumbai Pune Chennai Delhi Bengaluru Hyderabad Ahmedabad Kolkata Surat Coimbatore "
    "Bharat Hindustan",
    "VN": "Saigon Hanoi Hai_Phong Da_Nang Binh_Duong Dong_Nai Mekong Viet",
    "BR": "Paulista Mineira Carioca Gaúcha Paranaense Campinas Curitiba Brasil Nordeste Santos",
    "TR": "İstanbul Ankara İzmir Bursa Kocaeli Konya Gaziantep Anadolu Ege Marmara",
    "PL": "Warszawa Kraków Poznań Wrocław Gdańsk Łódź Katowice Lublin Śląsk Mazowsze Pomorze "
    "Polska",
    "ES": "Madrid Barcelona Valencia Sevilla Bilbao Zaragoza Málaga Levante Ibérica Cantábrica "
    "Galicia Navarra",
    "NL": "Rotterdam Amsterdam Eindhoven Utrecht Brabant Twente Holland Zeeland Limburg "
    "Gelderland Venlo",
    "AE": "Dubai Abu_Dhabi Sharjah Ajman Emirates Gulf Jebel_Ali Al_Ain",
    "MX": "Monterrey Guadalajara Puebla Querétaro Bajío Tijuana Saltillo México Norte Pacífico",
    "KW": "Kuwait Gulf Ahmadi Jahra Salmiya Shuwaikh Arabian Farwaniya",
}


def words(text: str) -> list[str]:
    """Split a space-separated list; underscores join words of one entry."""
    return [w.replace("_", " ") for w in text.split()]


# Coined brand names: a prefix and a suffix ("Nova" + "tec").
BRAND_PREFIXES: Final = words(
    "Nova Inter Euro Alpha Delta Omni Prime Uni Multi Pro Meta Terra Aqua Sol Vita Astra Opti "
    "Ultra Neo Bio Eco Info Poly Trans Techno Hydro Aero Geo Orbi Vector Sigma Quantum Nexa "
    "Vero Lumi Cardo Strato Ferro Silva Maxi"
)
BRAND_SUFFIXES: Final = words(
    "tec tronic lux form plast ware line net point star flex max dyn vision logic sys tron gate "
    "mark trade quip core wave field bridge met con pack med tex sol via cell fix guard serv lab "
    "vent"
)
