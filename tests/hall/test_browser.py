"""The clerks' page, the display board and the manager's page in headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium): a call made on the clerks' page appears on the board and is spoken.

Screenshots go to test-artifacts/hall/<test>/ for people to look at.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from kiosk.hall.app import HallContext
from kiosk.hall.devtools import ThreadedServer
from kiosk.queue import Priority
from kiosk.queue.staff_calls import CallKind

from .conftest import PASSWORD

# Seconds each (real servers, restarts, fuzzing): left out of the fast loop, always in the full suite.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1280,900",
         "--lang=zh-CN", "--autoplay-policy=no-user-gesture-required"]
WAIT = 15  # seconds; an upper bound for the page to react, not a measured requirement


def _chromium() -> WebDriver:
    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.fail("chromium and chromium-driver are not installed: run scripts/bootstrap --test")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browsers() -> Iterator[tuple[WebDriver, WebDriver]]:
    """Two Chromium instances: the hall's TV (board) and a clerk's PC."""
    board, desk = _chromium(), _chromium()
    yield board, desk
    board.quit()
    desk.quit()


@pytest.fixture
def pages(server: ThreadedServer, browsers: tuple[WebDriver, WebDriver]) -> Iterator[tuple[WebDriver, WebDriver]]:
    """The browsers, leaving the server's pages (the board's open event stream) before the server stops."""
    yield browsers
    for driver in browsers:
        driver.get("about:blank")


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    path = ROOT / "test-artifacts" / "hall" / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def sign_in(driver: WebDriver, base: str, user: str, window: str = "") -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    if window:
        driver.find_element(By.NAME, "window").send_keys(window)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, WAIT).until(lambda d: "/login" not in d.current_url)


def text_of(driver: WebDriver, css: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text if found else ""


def test_a_call_on_the_clerks_page_appears_on_the_board(server: ThreadedServer, hall: HallContext,
                                                        pages: tuple[WebDriver, WebDriver], shots: Path) -> None:
    board, desk = pages
    base = server.base_url
    hall.suite.queue.issue("general")
    hall.suite.queue.issue("general", priority=Priority.DECLARED)

    board.get(base + "/board")
    WebDriverWait(board, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected") == "1")
    assert text_of(board, "#waiting tr[data-group='general'] .count") == "2"

    sign_in(desk, base, "clerk1", "1")
    assert desk.current_url.endswith("/clerk")
    WebDriverWait(desk, WAIT).until(lambda d: "综合受理" in text_of(d, "#served-groups"))
    desk.find_element(By.ID, "btn-call").click()
    clicked = time.monotonic()
    WebDriverWait(board, WAIT).until(lambda d: text_of(d, "#calls tbody tr:first-child .num") == "V001")
    seen_after = time.monotonic() - clicked
    assert text_of(board, "#calls tbody tr:first-child .win") == "1 号窗口"
    assert text_of(board, "#announce") == "请V001号到1号窗口办理"
    assert board.execute_script("return window.spoken") == ["请V001号到1号窗口办理"]
    WebDriverWait(board, WAIT).until(lambda d: text_of(d, "#waiting tr[data-group='general'] .count") == "1")
    WebDriverWait(desk, WAIT).until(lambda d: text_of(d, "#current-number") == "V001")
    desk.save_screenshot(str(shots / "clerk-called.png"))
    board.save_screenshot(str(shots / "board-called.png"))

    # No-show is offered only after the configured recalls; each recall is announced again.
    assert not desk.find_element(By.ID, "btn-noshow").is_enabled()
    for n in (1, 2):
        desk.find_element(By.ID, "btn-recall").click()
        WebDriverWait(board, WAIT).until(lambda d, n=n: len(d.execute_script("return window.spoken")) == 1 + n)
    WebDriverWait(desk, WAIT).until(lambda d: d.find_element(By.ID, "btn-noshow").is_enabled())
    desk.find_element(By.ID, "btn-noshow").click()
    WebDriverWait(desk, WAIT).until(lambda d: text_of(d, "#current-number") == "—")

    desk.find_element(By.ID, "btn-call").click()
    WebDriverWait(board, WAIT).until(lambda d: text_of(d, "#calls tbody tr:first-child .num") == "A001")
    assert [row.get_attribute("data-number") for row in board.find_elements(By.CSS_SELECTOR, "#calls tbody tr")] == \
        ["A001", "V001"]
    # Transfer to medical insurance: the number leaves this desk and waits there.
    desk.find_element(By.CSS_SELECTOR, "#transfer-group option[value='medins']").click()
    desk.find_element(By.ID, "btn-transfer").click()
    WebDriverWait(desk, WAIT).until(lambda d: text_of(d, "#current-number") == "—")
    assert hall.suite.queue.ticket("A001").group_id == "medins"
    # Nobody is left for this window: the page says so.
    desk.find_element(By.ID, "btn-call").click()
    WebDriverWait(desk, WAIT).until(lambda d: "暂无等候" in text_of(d, "#msg"))
    board.save_screenshot(str(shots / "board-after.png"))
    print(f"call shown on the board {seen_after:.3f} s after the click")


def test_manager_page_figures_bad_ratings_and_windows(server: ThreadedServer, hall: HallContext,
                                                      pages: tuple[WebDriver, WebDriver], shots: Path) -> None:
    _, desk = pages
    q = hall.suite.queue
    for _ in range(3):
        q.issue("medins")
    q.call_window("11")
    hall.suite.ratings.submit(1, "C001", comment="等候太久")
    hall.suite.ratings.submit(5)

    sign_in(desk, server.base_url, "clerk1", "1")
    desk.get(server.base_url + "/manager")
    assert "/login" in desk.current_url  # a clerk does not see the manager's page

    sign_in(desk, server.base_url, "boss")
    assert desk.current_url.endswith("/manager")
    assert text_of(desk, "#figures tr[data-group='medins'] .issued") == "3"
    assert "等候太久" in text_of(desk, "#bad")
    desk.save_screenshot(str(shots / "manager.png"))
    rating = desk.find_element(By.CSS_SELECTOR, "#bad tbody tr")
    rating_id = rating.get_attribute("data-rating")
    desk.find_element(By.ID, f"note-{rating_id}").send_keys("已电话回访致歉")
    desk.find_element(By.CSS_SELECTOR, f"button.follow-up[data-id='{rating_id}']").click()
    WebDriverWait(desk, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#bad tbody tr"))
    assert hall.suite.ratings.bad() == []
    # Window 11 also takes tax from now on.
    desk.find_element(By.CSS_SELECTOR, "input.wg[data-window='11'][value='tax']").click()
    desk.find_element(By.CSS_SELECTOR, "button.save-window[data-window='11']").click()
    WebDriverWait(desk, WAIT).until(lambda d: "已保存" in text_of(d, "#msg"))
    assert q.window("11").groups == ("medins", "tax")


def test_kiosks_calling_staff_show_on_the_clerk_and_manager_pages(server: ThreadedServer, hall: HallContext,
                                                                   pages: tuple[WebDriver, WebDriver],
                                                                   shots: Path) -> None:
    clerk, manager = pages
    calls = hall.suite.staff_calls
    sign_in(clerk, server.base_url, "clerk1", "1")
    sign_in(manager, server.base_url, "boss")
    for page in pages:
        assert not page.find_element(By.ID, "staff-calls-section").is_displayed()  # no call: no table
    help_call = calls.raise_call("K01", CallKind.HELP, "identify")
    calls.raise_call("K02", CallKind.PRINTER, "paper_out")

    def rows(page: WebDriver) -> list[str]:  # read at once: the table is redrawn at each refresh
        return list(page.execute_script(
            "return [...document.querySelectorAll('#staff-calls tbody tr')].map(r => r.innerText)"))

    for page in pages:  # within the pages' refresh, without a reload
        WebDriverWait(page, WAIT).until(lambda d: len(rows(d)) == 2)
        assert page.find_element(By.ID, "staff-calls-section").is_displayed()
    assert "K01" in rows(clerk)[0] and "群众求助 / A citizen asks for help" in rows(clerk)[0]
    assert "刷身份证 / ID card" in rows(clerk)[0]
    assert "K02" in rows(manager)[1] and "票据未打出" in rows(manager)[1] and "打印机缺纸" in rows(manager)[1]
    assert rows(manager)[0].startswith("10:00")  # the hall's time, whatever the browser's zone
    clerk.save_screenshot(str(shots / "clerk-staff-calls.png"))
    manager.save_screenshot(str(shots / "manager-staff-calls.png"))

    manager.execute_script(f"document.querySelector(\"#staff-calls tr[data-call='{help_call.id}'] button\").click()")
    WebDriverWait(manager, WAIT).until(lambda d: len(rows(d)) == 1)
    WebDriverWait(clerk, WAIT).until(lambda d: len(rows(d)) == 1)
    assert [c.kiosk_id for c in calls.open_calls()] == ["K02"]
