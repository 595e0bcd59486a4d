"""The service guide's core: browsing, search (Chinese, English, pinyin), a matter's page, life events in the
configuration, and printing the one-time checklist."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypinyin import lazy_pinyin

from drivers.printer.simulated import SimulatedPrinter
from kiosk.assembly import Kiosk
from kiosk.config import ConfigError, KioskConfig, ServicesFile, load_config
from kiosk.desk import TicketDesk
from kiosk.devices.printer import PaperOut, PrinterStatus
from kiosk.guide import FREQUENT_WORDS, Guide, guide_for, matter_page
from tests.conftest import SHANGHAI, SHIPPED_CONFIG, TUESDAY_10

SHIPPED = load_config(SHIPPED_CONFIG)
GUIDE = Guide(SHIPPED.services)


def ids(query: str) -> list[str]:
    return [m.id for m in GUIDE.search(query)]


# -- search -------------------------------------------------------------------------------------------------

def test_pinyin_initials_find_real_estate() -> None:
    assert ids("bdc") == ["realestate-transfer", "realestate-mortgage"]
    # Full syllables, a mix of both, upper case and full-width letters find the same.
    for query in ("budongchan", "budc", "BDC", "ｂｄｃ", " bdc "):
        assert ids(query) == ids("bdc"), query


def test_passport_by_initials_comes_first() -> None:
    found = ids("hz")
    assert found[0] == "general-passport"
    # 生孩子 (sheng hai zi) spells hz too, through a life event's name, and ranks below a matter's own name.
    assert "hukou-birth" in found and found.index("hukou-birth") > found.index("general-passport")
    assert ids("huzhao") == ["general-passport"]


def test_chinese_words_and_abbreviations() -> None:
    assert ids("不动产") == ["realestate-transfer", "realestate-mortgage"]
    # 社保 is an abbreviation of the group name 社会保险; 医保 of 医疗保障.
    assert set(ids("社保")) == {"social-pension", "social-retirement"}
    assert set(ids("医保")) == {"medins-transfer", "medins-remote", "medins-newborn"}
    assert ids("户口") == ["hukou-move"]
    assert ids("公积金") == ["fund-withdraw"]
    # Characters far apart are not an abbreviation.
    assert ids("二书") == []


def test_english_words_prefixes_in_any_case() -> None:
    assert ids("Passport") == ["general-passport"]
    assert ids("real est") == ["realestate-transfer", "realestate-mortgage"]
    assert ids("fund") == ["fund-withdraw"]
    assert set(ids("certificate")) >= {"general-certificate", "disabled-card"}


def test_life_event_names_are_searched() -> None:
    assert set(ids("开公司")) == {"business-setup", "tax-newcomer", "tax-invoice"}
    assert ids("退休")[0] == "social-retirement"  # its own name says 退休; medins-remote only by the event


def test_a_matter_name_ranks_above_a_group_name() -> None:
    # 户籍 is only in the group name of hukou-birth/hukou-move; 出生 is in hukou-birth's own name.
    found = ids("出生")
    assert found[0] == "hukou-birth"
    assert ids("户籍") == ["hukou-move", "hukou-birth"]  # group matches keep catalogue order


def test_empty_and_unmatched_queries() -> None:
    assert ids("") == [] and ids("   ") == []
    assert ids("zzzzqqq") == [] and ids("火星") == []


def test_every_matter_is_found_by_its_name_and_its_pinyin_initials() -> None:
    for matter in SHIPPED.services.matters:
        assert ids(matter.name_zh)[0] == matter.id, matter.name_zh
        assert ids(matter.name_en)[0] == matter.id, matter.name_en
        initials = "".join(s[0] for s in lazy_pinyin(matter.name_zh) if s.isalpha() and s.isascii())
        assert matter.id in ids(initials), (matter.name_zh, initials)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_search_never_raises_and_returns_distinct_matters(query: str) -> None:
    found = GUIDE.search(query)
    matter_ids = [m.id for m in found]
    assert len(matter_ids) == len(set(matter_ids))
    assert set(matter_ids) <= {m.id for m in SHIPPED.services.matters}


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz不动产社保医户口公积金护照 ", min_size=1, max_size=12))
def test_a_longer_query_never_finds_more(query: str) -> None:
    """Typing one more key narrows the results (what a citizen watching the count expects)."""
    assert set(ids(query + "a")) <= set(ids(query)) or not query.strip()


def test_frequent_words_all_find_something_in_both_languages() -> None:
    assert GUIDE.frequent_words() == list(FREQUENT_WORDS)
    for word in FREQUENT_WORDS:
        assert GUIDE.search(word.zh) and GUIDE.search(word.en), word


def test_frequent_words_without_hits_are_not_offered() -> None:
    services = SHIPPED.services.model_copy(update={"life_events": []})
    words = [w.zh for w in Guide(services).frequent_words()]
    assert "开公司" not in words and "退休" in words  # 退休 is in a matter's own name too


# -- browsing -----------------------------------------------------------------------------------------------

def test_groups_with_a_guide_and_their_matters() -> None:
    groups = GUIDE.groups()
    assert [g.id for g, _n in groups] == [g.id for g in SHIPPED.services.groups]
    assert sum(n for _g, n in groups) == len(SHIPPED.services.matters)
    assert [m.id for m in GUIDE.matters_of_group("realestate")] == ["realestate-transfer", "realestate-mortgage"]
    # A group without any matter is not offered in the guide.
    services = SHIPPED.services.model_copy(
        update={"matters": [m for m in SHIPPED.services.matters if m.group != "disabled"]})
    assert "disabled" not in [g.id for g, _n in Guide(services).groups()]


def test_life_events_list_their_matters_in_order() -> None:
    assert [e.id for e in GUIDE.life_events()] == ["baby", "home", "retire", "abroad", "company", "move"]
    assert [m.id for m in GUIDE.matters_of_event("home")] == [
        "realestate-transfer", "realestate-mortgage", "fund-withdraw", "hukou-move"]
    assert GUIDE.life_event("baby").name_en == "Having a baby"


def test_the_index_is_built_once_per_catalogue() -> None:
    services = SHIPPED.services
    assert guide_for(services) is guide_for(services)
    other = ServicesFile.model_validate(services.model_dump())
    assert guide_for(other) is not guide_for(services)


# -- a matter's page ----------------------------------------------------------------------------------------

def test_matter_page_in_chinese_and_english() -> None:
    matter = GUIDE.matter("realestate-transfer")
    group = SHIPPED.group(matter.group)
    zh = matter_page(matter, group, SHIPPED, "zh")
    assert zh.name == "二手房转移登记" and zh.other_name == matter.name_en and zh.group == "不动产登记"
    assert zh.appointment_required and zh.steps[0] == "取号" and not zh.steps_in_chinese
    assert zh.materials[1].name.text == "买卖双方身份证" and zh.materials[1].copies == 1
    assert zh.url == "https://zwfw.example.gov.cn/guide/matter?id=realestate-transfer"
    en = matter_page(matter, group, SHIPPED, "en")
    assert en.name == matter.name_en and en.steps[0] == "Take a number" and not en.steps_in_chinese
    assert en.fee.text == "Registration fee CNY 80 per home" and not en.fee.in_chinese
    assert en.place.text == "Windows 7-10, ground floor" and en.wait_area.text == "Waiting area B"
    # The legal basis and the unit are official Chinese names: shown in Chinese, marked as such.
    assert en.basis.text.startswith("《不动产登记暂行条例》") and en.basis.in_chinese
    assert en.phone == "0000-12345601"


def test_english_page_falls_back_to_chinese_with_a_mark() -> None:
    matter = GUIDE.matter("hukou-move").model_copy(update={"summary_en": "", "steps_en": [], "fee_en": "",
                                                            "phone": ""})
    en = matter_page(matter, SHIPPED.group("hukou"), SHIPPED, "en")
    assert en.summary.text == matter.summary_zh and en.summary.in_chinese
    assert en.steps == tuple(matter.steps_zh) and en.steps_in_chinese
    assert en.fee.text == "不收费" and en.fee.in_chinese
    assert en.phone == SHIPPED.kiosk.hall.phone  # no phone of its own: the hall's
    # An empty Chinese field is not marked as "in Chinese": there is nothing to show.
    assert en.basis.text == "" and not en.basis.in_chinese


# -- configuration ------------------------------------------------------------------------------------------

def test_shipped_life_events_name_existing_matters() -> None:
    matter_ids = {m.id for m in SHIPPED.services.matters}
    for event in SHIPPED.services.life_events:
        assert event.matters and set(event.matters) <= matter_ids
        assert any("\u4e00" <= ch <= "\u9fff" for ch in event.name_zh) and event.name_en.isascii()
    # The English guide is real for every shipped matter.
    for matter in SHIPPED.services.matters:
        assert matter.summary_en and matter.who_en and matter.steps_en and matter.place_en, matter.id
        assert all(m.name_en for m in matter.materials), matter.id


def _problems(config_dir: Path, file: str) -> list[str]:
    """The problems ``load_config`` finds in ``file`` of the folder."""
    with pytest.raises(ConfigError) as refused:
        load_config(config_dir)
    return [str(p) for p in refused.value.problems if p.file == file]


def test_life_event_problems_name_file_key_and_matter(config_dir: Path, edit: Callable[..., None]) -> None:
    services = config_dir / "services.toml"
    edit(services, 'matters = ["hukou-birth", "medins-newborn"]', 'matters = ["hukou-birth", "medins-newbron"]')
    edit(services, 'id = "retire"', 'id = "home"')
    edit(services, 'matters = ["social-retirement", "medins-remote"]', "matters = []")
    problems = _problems(config_dir, "services.toml")
    assert "services.toml: life_events[0](id=baby).matters[1]: no matter has the id 'medins-newbron'" in problems
    assert "services.toml: life_events[2](id=home).id: 'home' is used by another life event too" in problems
    assert any(p.startswith("services.toml: life_events[2](id=home).matters: ") for p in problems), problems
    assert len(problems) == 3, problems


def test_english_steps_must_match_the_chinese_ones(config_dir: Path, edit: Callable[..., None]) -> None:
    edit(config_dir / "services.toml", 'steps_en = ["Take a number", "Application at the window", "Review", "Done"]\n'
         'fee_en = "Free of charge"\ntime_limit_zh = "3 个工作日"',
         'steps_en = ["Take a number", "Done"]\nfee_en = "Free of charge"\ntime_limit_zh = "3 个工作日"')
    problems = _problems(config_dir, "services.toml")
    assert len(problems) == 1 and problems[0].startswith("services.toml: matters[5](id=hukou-move): ")
    assert "steps_en has 2 steps but steps_zh has 4" in problems[0]


def test_guide_url_placeholders_are_checked(config_dir: Path, edit: Callable[..., None]) -> None:
    edit(config_dir / "kiosk.toml", "guide/matter?id={matter}", "guide/{matter_id}")
    assert _problems(config_dir, "kiosk.toml") == ["kiosk.toml: kiosk.guide_url: may only use the placeholder {matter}"]


# -- printing the checklist ---------------------------------------------------------------------------------

@pytest.fixture
def desk(config: KioskConfig, make_kiosk: Callable[..., Kiosk], tmp_path: Path) -> TicketDesk:
    return make_kiosk(config, printer=SimulatedPrinter(tmp_path / "tickets")).desk


def test_print_checklist_prints_the_matters_document(desk: TicketDesk, tmp_path: Path) -> None:
    matter = GUIDE.matter("realestate-transfer")
    document = desk.print_checklist(matter, TUESDAY_10.replace(tzinfo=SHANGHAI))
    assert document.name == "checklist-realestate-transfer-20261124100000"
    image = tmp_path / "tickets" / f"{document.name}.png"
    assert image.exists() and Image.open(image).size[1] > 600


def test_print_checklist_refuses_with_the_printers_fault(desk: TicketDesk, tmp_path: Path) -> None:
    desk.printer.set_status(PrinterStatus.PAPER_OUT)  # type: ignore[attr-defined]
    with pytest.raises(PaperOut) as fault:
        desk.print_checklist(GUIDE.matter("hukou-birth"), TUESDAY_10.replace(tzinfo=SHANGHAI))
    assert "缺纸" in fault.value.cause("zh") and "out of paper" in fault.value.cause("en")
    assert list((tmp_path / "tickets").glob("*.png")) == []
