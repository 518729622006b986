"""Names as real exports spell them: companies (and their many spellings), people, e-mails.

Owns the vocabularies and the spelling variants (株式会社/(株)/㈱, 前株/後株, half-width katakana,
full-width letters and digits, English names, long-vowel and typo variants). Every variant list
is built once per company so records pick a spelling by index (numpy), never per-row logic.
Everything here is CP932-safe because SFA files are written in CP932 on some days.
"""

from __future__ import annotations

import unicodedata

import numpy as np

# (katakana, romaji) syllables; random words from these give an unbounded space of names.
SYLLABLES = [
    ("ア", "a"),
    ("イ", "i"),
    ("カ", "ka"),
    ("キ", "ki"),
    ("ク", "ku"),
    ("コ", "ko"),
    ("サ", "sa"),
    ("シ", "shi"),
    ("ス", "su"),
    ("セ", "se"),
    ("タ", "ta"),
    ("テ", "te"),
    ("ト", "to"),
    ("ナ", "na"),
    ("ニ", "ni"),
    ("ノ", "no"),
    ("ハ", "ha"),
    ("ヒ", "hi"),
    ("フ", "fu"),
    ("ホ", "ho"),
    ("マ", "ma"),
    ("ミ", "mi"),
    ("ム", "mu"),
    ("メ", "me"),
    ("モ", "mo"),
    ("ヤ", "ya"),
    ("ユ", "yu"),
    ("ラ", "ra"),
    ("リ", "ri"),
    ("ル", "ru"),
    ("レ", "re"),
    ("ロ", "ro"),
    ("ワ", "wa"),
    ("ガ", "ga"),
    ("ギ", "gi"),
    ("グ", "gu"),
    ("ゴ", "go"),
    ("ザ", "za"),
    ("ジ", "ji"),
    ("ダ", "da"),
    ("デ", "de"),
    ("ド", "do"),
    ("バ", "ba"),
    ("ビ", "bi"),
    ("ブ", "bu"),
    ("ベ", "be"),
    ("ボ", "bo"),
    ("パ", "pa"),
    ("ピ", "pi"),
    ("プ", "pu"),
    ("ポ", "po"),
    ("ン", "n"),
    ("ケ", "ke"),
    ("ソ", "so"),
    ("ツ", "tsu"),
    ("ネ", "ne"),
]
KANA_SUFFIXES = [  # (katakana, romaji, English)
    ("テック", "tech", "Tech"),
    ("システムズ", "systems", "Systems"),
    ("ソリューションズ", "solutions", "Solutions"),
    ("ネットワークス", "networks", "Networks"),
    ("ラボ", "lab", "Lab"),
    ("ワークス", "works", "Works"),
    ("デザイン", "design", "Design"),
    ("エンジニアリング", "engineering", "Engineering"),
    ("コンサルティング", "consulting", "Consulting"),
    ("フーズ", "foods", "Foods"),
    ("ロジスティクス", "logistics", "Logistics"),
    ("メディカル", "medical", "Medical"),
    ("データ", "data", "Data"),
    ("クラウド", "cloud", "Cloud"),
    ("サービス", "service", "Service"),
    ("", "", ""),
    ("", "", ""),
]
KANJI_STEMS = [
    ("山田", "yamada"),
    ("東洋", "toyo"),
    ("日本", "nihon"),
    ("大和", "yamato"),
    ("富士", "fuji"),
    ("三和", "sanwa"),
    ("中央", "chuo"),
    ("北斗", "hokuto"),
    ("昭和", "showa"),
    ("丸山", "maruyama"),
    ("高橋", "takahashi"),
    ("青葉", "aoba"),
    ("旭", "asahi"),
    ("光", "hikari"),
    ("若葉", "wakaba"),
    ("松本", "matsumoto"),
    ("東邦", "toho"),
    ("平和", "heiwa"),
    ("協和", "kyowa"),
    ("大成", "taisei"),
    ("桜井", "sakurai"),
    ("新日本", "shinnihon"),
    ("関東", "kanto"),
    ("西日本", "nishinihon"),
    ("太陽", "taiyo"),
    ("千代田", "chiyoda"),
    ("明和", "meiwa"),
    ("港", "minato"),
    ("朝日", "asahi"),
    ("共栄", "kyoei"),
    ("第一", "daiichi"),
    ("白石", "shiraishi"),
    ("石川", "ishikawa"),
    ("森", "mori"),
]
KANJI_SUFFIXES = [
    ("商事", "shoji", "Trading"),
    ("製作所", "seisakusho", "Manufacturing"),
    ("電機", "denki", "Electric"),
    ("物産", "bussan", "Trading"),
    ("工業", "kogyo", "Industries"),
    ("建設", "kensetsu", "Construction"),
    ("不動産", "fudosan", "Real Estate"),
    ("運輸", "unyu", "Transport"),
    ("食品", "shokuhin", "Foods"),
    ("印刷", "insatsu", "Printing"),
    ("化学", "kagaku", "Chemical"),
    ("産業", "sangyo", "Industries"),
    ("精機", "seiki", "Precision"),
    ("薬品", "yakuhin", "Pharmaceutical"),
    ("技研", "giken", "Engineering"),
]
LATIN_PREFIXES = ["AI", "NEXT", "3D", "ONE", "ABC", "KK21", "GX", "DX"]

# legal form: (full, abbreviations, English forms)
LEGAL_FORMS = [
    ("株式会社", ["(株)", "㈱", "（株）"], ["Inc.", "CO., LTD.", "Co., Ltd.", "K.K."]),
    ("有限会社", ["(有)", "㈲"], ["Ltd.", "Y.K."]),
    ("合同会社", ["(同)"], ["LLC", "G.K."]),
]
LEGAL_FORM_WEIGHTS = [0.9, 0.05, 0.05]

INDUSTRIES = [
    "Manufacturing",
    "IT",
    "Retail",
    "Finance",
    "Healthcare",
    "Construction",
    "Logistics",
    "Real Estate",
    "Education",
    "Media",
    "Food",
    "Professional Services",
]
PREFECTURES = [
    "東京都",
    "大阪府",
    "神奈川県",
    "愛知県",
    "福岡県",
    "北海道",
    "埼玉県",
    "千葉県",
    "兵庫県",
    "京都府",
    "広島県",
    "宮城県",
    "静岡県",
    "新潟県",
    "沖縄県",
]
PREFECTURE_WEIGHTS = [0.4, 0.12, 0.08, 0.08, 0.05, 0.04, 0.04, 0.04, 0.03, 0.03, 0.02, 0.02, 0.02, 0.02, 0.01]

FAMILY_NAMES = [
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("斎藤", "saito"),
    ("清水", "shimizu"),
    ("山崎", "yamazaki"),
    ("森", "mori"),
    ("池田", "ikeda"),
    ("橋本", "hashimoto"),
    ("阿部", "abe"),
    ("石川", "ishikawa"),
    ("前田", "maeda"),
    ("藤田", "fujita"),
    ("小川", "ogawa"),
    ("岡田", "okada"),
    ("後藤", "goto"),
    ("長谷川", "hasegawa"),
    ("村上", "murakami"),
    ("近藤", "kondo"),
]
GIVEN_NAMES = [
    ("翔", "sho"),
    ("蓮", "ren"),
    ("大輔", "daisuke"),
    ("健太", "kenta"),
    ("拓也", "takuya"),
    ("直樹", "naoki"),
    ("誠", "makoto"),
    ("剛", "tsuyoshi"),
    ("亮", "ryo"),
    ("達也", "tatsuya"),
    ("美咲", "misaki"),
    ("陽子", "yoko"),
    ("恵", "megumi"),
    ("愛", "ai"),
    ("優子", "yuko"),
    ("真由美", "mayumi"),
    ("彩", "aya"),
    ("香織", "kaori"),
    ("智子", "tomoko"),
    ("由美", "yumi"),
    ("和也", "kazuya"),
    ("浩", "hiroshi"),
    ("聡", "satoshi"),
    ("麻衣", "mai"),
    ("千尋", "chihiro"),
]
JOB_TITLES = [
    "営業部長",
    "マーケティング部 課長",
    "情報システム部",
    "経営企画室",
    "代表取締役",
    "営業企画",
    "Marketing Manager",
    "CTO",
    "総務部",
    "DX推進室 室長",
    "人事部",
    "購買部 主任",
    "",
]
FREE_MAIL_DOMAINS = ["gmail.com", "yahoo.co.jp", "outlook.jp", "hotmail.co.jp", "icloud.com", "docomo.ne.jp"]
TLDS = [".co.jp", ".jp", ".com", ".co.jp", ".co.jp"]


def _halfwidth_table() -> dict[str, str]:
    """Full-width katakana -> half-width (with separate dakuten), derived from NFKC itself."""
    table: dict[str, str] = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        table.setdefault(unicodedata.normalize("NFKC", half), half)
    for base in list(table.values()):
        for mark in ("\uff9e", "\uff9f"):  # ﾞ ﾟ
            full = unicodedata.normalize("NFKC", base + mark)
            if len(full) == 1:
                table.setdefault(full, base + mark)
    return table


_HALF = _halfwidth_table()


def to_halfwidth_kana(text: str) -> str:
    return "".join(_HALF.get(ch, ch) for ch in text)


def to_fullwidth_ascii(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def kana_word(rng: np.random.Generator) -> tuple[str, str]:
    """A random 2-4 syllable katakana word and its romaji (sometimes with a long vowel ー)."""
    n = int(rng.integers(2, 5))
    kana, roma = [], []
    for i in rng.integers(0, len(SYLLABLES), size=n):
        k, r = SYLLABLES[int(i)]
        kana.append(k)
        roma.append(r)
        if rng.random() < 0.12 and k != "ン":
            kana.append("ー")
    return "".join(kana), "".join(roma)


def _typo(text: str, rng: np.random.Generator) -> str:
    """Long-vowel variants (ー/－/-) first, else drop or double one character."""
    if "ー" in text:
        return text.replace("ー", "－" if rng.random() < 0.5 else "-")
    if len(text) < 3:
        return text + text[-1]
    i = int(rng.integers(1, len(text) - 1))
    return text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]


def company_variants(stem: str, stem_en: str, form: int, prefix: bool, rng: np.random.Generator) -> list[str]:
    """The spellings of one company, index 0 = canonical. See VARIANT_WEIGHTS for their use."""
    full, abbrevs, english = LEGAL_FORMS[form]

    def place(legal: str, front: bool, body: str = stem) -> str:
        return legal + body if front else body + legal

    abbrev = abbrevs[int(rng.integers(0, len(abbrevs)))]
    symbol = "㈱" if form == 0 else ("㈲" if form == 1 else abbrev)
    half = to_halfwidth_kana(stem)
    en = english[int(rng.integers(0, len(english)))]
    return [
        place(full, prefix),  # 0 canonical
        place(abbrev, prefix),  # 1 (株)サンプル
        place(symbol, prefix),  # 2 ㈱サンプル
        place(full, not prefix),  # 3 前株/後株 swapped
        place(full, prefix, half) if half != stem else place(full + "\u3000", prefix),  # 4 half-width
        f"{stem_en} {en}",  # 5 Sample Inc.
        f"{stem_en.upper()} {english[1] if form == 0 else en.upper()}",  # 6 SAMPLE CO., LTD.
        place(full, prefix, _typo(stem, rng)),  # 7 typo / long-vowel variant
        to_fullwidth_ascii(place(full, prefix)) if any(c.isascii() for c in stem) else stem,  # 8
    ]


# How often each system spells a company each way (index = variant above).
VARIANT_WEIGHTS = {
    "ma": [0.30, 0.12, 0.05, 0.05, 0.06, 0.08, 0.04, 0.08, 0.22],
    "sfa_account": [0.60, 0.15, 0.05, 0.05, 0.02, 0.05, 0.03, 0.02, 0.03],
    "sfa_lead": [0.35, 0.15, 0.05, 0.05, 0.05, 0.08, 0.04, 0.08, 0.15],
    "cs": [0.50, 0.10, 0.02, 0.05, 0.00, 0.20, 0.10, 0.00, 0.03],
}
