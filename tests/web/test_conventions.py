"""Conventions over HTTP (issue 6, item 5): drafting, comments in their period, versions and
their diff, adoption by shop vote, amendment, and every refusal with nothing changed."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import FixedClock
from council.conventions.models import ArticleComment, ConventionArticle
from council.conventions.workflow import VersionStatus
from council.voting.models import Ballot
from tests.conventions_support import (
    BASE,
    articles,
    as_facilitator,
    create,
    demo_convention,
    editor_form,
    local,
    open_for_comment,
    step,
    version,
)
from tests.intake import other_council
from tests.support import (
    Client,
    audit_actions,
    client_for,
    csrf_token,
    post_form,
    sign_in_directly,
    text_of,
)

REVIEW = {"reviewer": "钟楼街道司法所", "note": "符合法律法规，同意提交表决。"}


async def test_demo_public_page_shows_adopted_text_history_and_the_vote(
    client: Client, db: AsyncSession
) -> None:
    cid = await demo_convention(db)
    listing = await client.get(f"{BASE}/")
    assert "钟楼烟火美食街商户公约" in text_of(listing.text)
    page = await client.get(f"{BASE}/{cid}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "现行第 2 版" in text and "第 6 条 监督" in text
    assert "罚款" not in text  # rule 26: the adopted text has no fine
    assert "37 / 40（已投票 / 应到）" in text
    assert "同意 34 · 反对 2 · 弃权 1" in text
    assert "34 / 40 家店铺表决同意" in text  # rule 27: coverage
    ballot_link = re.search(r'href="(/c/zhonglou/ballots/[0-9a-f-]{36})"', page.text)
    assert ballot_link
    # The adopting ballot's page names the version it decided on and links back to it.
    ballot_page = await client.get(ballot_link.group(1))
    assert "公约表决： 《钟楼烟火美食街商户公约》第 2 版" in text_of(ballot_page.text)
    assert f'href="{BASE}/{cid}/v/2"' in ballot_page.text
    assert "已被取代" in text and "与第 1 版对照" in text
    assert "备案：已报钟楼街道办事处备案（钟街公约备〔2026〕3 号）" in text
    # Version 1 stays readable with its comments; contact details never appear (rule 28).
    first = await client.get(f"{BASE}/{cid}/v/1")
    assert "处以 200 元罚款" in text_of(first.text)
    assert "商户 · 12 号 西塞山烧烤" in text_of(first.text)
    assert "13807142003" not in first.text
    diff = await client.get(f"{BASE}/{cid}/diff?from=1&to=2")
    assert diff.status_code == 200
    assert '<del><span class="visually-hidden">［删除：</span>23:00' in diff.text
    assert '<ins><span class="visually-hidden">［新增：</span>22:30' in diff.text
    assert "新增 1 条" in text_of(diff.text) and "修改 5 条" in text_of(diff.text)


async def test_R9_draft_is_staff_only_and_published_text_is_frozen(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    async with as_facilitator(app) as facilitator:
        cid = await create(facilitator)
        # A draft is not there for the public or a resident (S14), but is for the supervisor.
        assert (await client.get(f"{BASE}/{cid}")).status_code == 404
        async with client_for(app) as resident:
            await sign_in_directly(resident, "jumin11")
            assert (await resident.get(f"{BASE}/{cid}/v/1")).status_code == 404
        async with client_for(app) as supervisor:
            await sign_in_directly(supervisor, "jiandu")
            assert (await supervisor.get(f"{BASE}/{cid}/v/1")).status_code == 200
        closes = local(clock.now() + dt.timedelta(days=7))
        opened = await step(facilitator, cid, 1, "open-comments", closes_at=closes)
        assert opened.status_code == 303, opened.text
        assert (await client.get(f"{BASE}/{cid}/v/1")).status_code == 200  # 公示
        before = await articles(db, cid, 1)
        edit = editor_form("改过的标题", [("", "新", "试图修改已公布的文本")])
        refused = await post_form(facilitator, f"{BASE}/{cid}/v/1/edit", edit)
        assert refused.status_code == 409
        assert "已公布的版本不能修改" in text_of(refused.text)
        assert await articles(db, cid, 1) == before
    actions = [e.action for e in await audit_actions(db) if e.action.startswith("convention.")]
    assert actions[-2:] == ["convention.created", "convention.comment_opened"]


async def test_comments_per_article_only_in_the_period_and_only_from_the_council(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    cid, first = await open_for_comment(app, db, clock.now())
    async with client_for(app) as resident:
        await sign_in_directly(resident, "jumin11")
        ok = await step(resident, cid, 1, "comments", article=first.hex, body="一米太宽了")
        assert ok.status_code == 303, ok.text
        page = await resident.get(f"{BASE}/{cid}/v/1")
        assert "对第 1 条的意见（1）" in text_of(page.text)
        assert "居民 何* · " in text_of(page.text)  # a resident's name is masked in public
        # An empty comment is refused with the field's message, nothing stored.
        empty = await step(resident, cid, 1, "comments", article=first.hex, body="")
        assert empty.status_code == 422 and "此项必填" in text_of(empty.text)
    # A signed-in stranger with no role in this council is refused, with the reason.
    async with client_for(app) as stranger:
        await stranger.get("/signup")
        signed_up = await post_form(
            stranger,
            "/signup",
            {
                "login": "luren",
                "display_name": "路人",
                "password": "a-long-passphrase-2026",
                "password_again": "a-long-passphrase-2026",
            },
        )
        assert signed_up.status_code == 303
        refused = await step(stranger, cid, 1, "comments", article=first.hex, body="路过说一句")
        assert refused.status_code == 403
        assert "只有本议事会已核实的成员、商户和居民可以对公约提意见" in text_of(refused.text)
    # After the period: refused in words, nothing stored.
    clock.advance(days=8)
    async with client_for(app) as merchant:
        await sign_in_directly(merchant, "shop12")
        late = await step(merchant, cid, 1, "comments", article=first.hex, body="来晚了")
        assert late.status_code == 409
        assert "征求意见期已结束，不能再提意见" in text_of(late.text)
    count = await db.scalar(
        sa.select(sa.func.count(ArticleComment.id)).where(ArticleComment.article_id == first)
    )
    await db.commit()
    assert count == 1


async def test_empty_article_is_refused_and_nothing_changes(
    app: Litestar, db: AsyncSession
) -> None:
    async with as_facilitator(app) as facilitator:
        nothing = await post_form(facilitator, f"{BASE}/new", editor_form("空公约", []))
        assert nothing.status_code == 422
        assert "公约至少要有一条条款" in text_of(nothing.text)
        cid = await create(facilitator)
        v1 = await version(db, cid, 1)
        keys = (
            (
                await db.execute(
                    sa.select(ConventionArticle.key)
                    .where(ConventionArticle.version_id == v1.id)
                    .order_by(ConventionArticle.position)
                )
            )
            .scalars()
            .all()
        )
        await db.commit()
        before = await articles(db, cid, 1)
        emptied = editor_form(
            "测试商户公约", [(keys[0], "外摆经营", ""), (keys[1], "噪音", "改过的噪音条款")]
        )
        refused = await post_form(facilitator, f"{BASE}/{cid}/v/1/edit", emptied)
        assert refused.status_code == 422
        assert "第 1 条内容不能为空" in text_of(refused.text)
        assert await articles(db, cid, 1) == before
        # Ticking "delete" is how an article goes; the rest keep their identity.
        deleted = editor_form("测试商户公约", [(keys[1], "噪音", "改过的噪音条款")])
        deleted["delete_2"] = ""
        saved = await post_form(facilitator, f"{BASE}/{cid}/v/1/edit", deleted)
        assert saved.status_code == 303, saved.text
        assert await articles(db, cid, 1) == [("噪音", "改过的噪音条款")]


async def test_R26_vote_refused_before_review_and_with_a_fine(
    app: Litestar, db: AsyncSession, clock: FixedClock
) -> None:
    fine = (("违约", "违反本公约的，处以 200 元罚款。"),)
    async with as_facilitator(app) as facilitator:
        cid = await create(facilitator, "有罚款的公约", fine)
        # A first draft cannot skip the comment period.
        early = await step(facilitator, cid, 1, "vote", **REVIEW)
        assert early.status_code == 409 and "须先公布征求意见" in text_of(early.text)
        closes = local(clock.now() + dt.timedelta(days=7))
        assert (await step(facilitator, cid, 1, "open-comments", closes_at=closes)).is_redirect
        running = await step(facilitator, cid, 1, "vote")
        assert running.status_code == 409 and "征求意见期尚未结束" in text_of(running.text)
        clock.advance(days=8)
        await sign_in_directly(facilitator, "zhuchi")  # the session idled out over the week
        unreviewed = await step(facilitator, cid, 1, "vote")
        assert unreviewed.status_code == 409
        assert "须先登记街道合法性审核意见" in text_of(unreviewed.text)
        assert (await step(facilitator, cid, 1, "review", **REVIEW)).is_redirect
        fined = await step(facilitator, cid, 1, "vote")
        assert fined.status_code == 409
        assert "公约不得设定罚款等强制性处罚（出现：罚款）" in text_of(fined.text)
    v1 = await version(db, cid, 1)
    assert v1.status is VersionStatus.COMMENTING and v1.ballot_id is None
    ballots = await db.scalar(
        sa.select(sa.func.count(Ballot.id)).where(Ballot.question.like("%有罚款的公约%"))
    )
    await db.commit()
    assert ballots == 0


async def _vote(app: Litestar, ballot: object, votes: dict[str, str]) -> None:
    for login, choice in votes.items():
        async with client_for(app) as voter:
            await sign_in_directly(voter, login)
            cast = await post_form(voter, f"/c/zhonglou/ballots/{ballot}/vote", {"choice": choice})
            assert cast.status_code == 303, cast.text


async def _through_comments(
    facilitator: Client, cid: object, number: int, clock: FixedClock
) -> None:
    closes = local(clock.now() + dt.timedelta(days=7))
    assert (await step(facilitator, cid, number, "open-comments", closes_at=closes)).is_redirect
    clock.advance(days=8)
    await sign_in_directly(facilitator, "zhuchi")  # the session idled out over the week
    assert (await step(facilitator, cid, number, "review", **REVIEW)).is_redirect


async def test_adopted_by_shop_vote_then_a_failed_amendment_keeps_it(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    async with as_facilitator(app) as facilitator:
        cid = await create(facilitator)
        await _through_comments(facilitator, cid, 1, clock)
        vote = await step(
            facilitator, cid, 1, "vote", electorate="shops", pass_rule="1/2>", pass_base="cast"
        )
        assert vote.status_code == 303, vote.text
        v1 = await version(db, cid, 1)
        assert v1.status is VersionStatus.VOTING
        ballot = await db.get(Ballot, v1.ballot_id)
        assert ballot is not None and ballot.eligible_count == 40  # one vote per shop
        await db.commit()
        # Recording the result of a ballot still open is refused, nothing changes.
        early = await step(facilitator, cid, 1, "result")
        assert early.status_code == 409 and "表决尚未结束" in text_of(early.text)
        await _vote(
            app, v1.ballot_id, {"shop01": "yes", "shop02": "yes", "shop03": "yes", "shop04": "no"}
        )
        assert (await step(facilitator, cid, 1, "close-vote")).is_redirect
        assert (await step(facilitator, cid, 1, "result")).is_redirect
        assert (await version(db, cid, 1)).status is VersionStatus.ADOPTED
        page = text_of((await client.get(f"{BASE}/{cid}")).text)
        assert "现行第 1 版" in page and "同意 3 · 反对 1 · 弃权 0" in page
        assert "4 / 40（已投票 / 应到）" in page

        # Amendment: the same path; this time the shops vote it down.
        revised = await post_form(facilitator, f"{BASE}/{cid}/revise")
        assert revised.status_code == 303
        v2 = await version(db, cid, 2)
        keys = (
            (
                await db.execute(
                    sa.select(ConventionArticle.key)
                    .where(ConventionArticle.version_id == v2.id)
                    .order_by(ConventionArticle.position)
                )
            )
            .scalars()
            .all()
        )
        await db.commit()
        edit = editor_form(
            "测试商户公约",
            [
                (keys[0], "外摆经营", "外摆桌椅不得超出门前半米。"),
                (keys[1], "噪音", "22:00 以后不得使用音响招揽顾客。"),
            ],
            change_note="收紧外摆范围",
        )
        assert (await post_form(facilitator, f"{BASE}/{cid}/v/2/edit", edit)).is_redirect
        await _through_comments(facilitator, cid, 2, clock)
        assert (await step(facilitator, cid, 2, "vote", pass_base="cast")).is_redirect
        v2 = await version(db, cid, 2)
        await _vote(app, v2.ballot_id, {"shop01": "no", "shop02": "no", "shop03": "yes"})
        assert (await step(facilitator, cid, 2, "close-vote")).is_redirect
        assert (await step(facilitator, cid, 2, "result")).is_redirect
        # The next amendment starts again from the text in force, not from the failed one.
        again = await post_form(facilitator, f"{BASE}/{cid}/revise")
        assert again.headers["location"].startswith(f"{BASE}/{cid}/v/3/edit")
        assert (await version(db, cid, 3)).based_on_id == (await version(db, cid, 1)).id
        assert await articles(db, cid, 3) == await articles(db, cid, 1)
    assert (await version(db, cid, 2)).status is VersionStatus.NOT_ADOPTED
    assert (await version(db, cid, 1)).status is VersionStatus.ADOPTED
    page = text_of((await client.get(f"{BASE}/{cid}")).text)
    assert "现行第 1 版" in page and "门前一米" in page
    failed = text_of((await client.get(f"{BASE}/{cid}/v/2")).text)
    assert "此版本表决未通过，仍为草案" in failed and "同意 1 · 反对 2 · 弃权 0" in failed
    diff = text_of((await client.get(f"{BASE}/{cid}/diff?from=1&to=2")).text)
    assert "修改 1 条" in diff and "未修改 1 条" in diff
    actions = [e.action for e in await audit_actions(db) if e.action.startswith("convention.")]
    assert "convention.adopted" in actions
    assert actions[-2:] == ["convention.not_adopted", "convention.revision_started"]


async def test_R9_an_adopted_version_is_never_edited(app: Litestar, db: AsyncSession) -> None:
    cid = await demo_convention(db)
    before = await articles(db, cid, 2)
    async with as_facilitator(app) as facilitator:
        page = await facilitator.get(f"{BASE}/{cid}/v/2/edit")
        assert page.status_code == 409
        edit = editor_form("改名", [("", "外摆", "随便改")])
        refused = await post_form(facilitator, f"{BASE}/{cid}/v/2/edit", edit)
        assert refused.status_code == 409
        assert "已生效的版本不能修改；修订请起草新版本（修正案）" in text_of(refused.text)
    assert await articles(db, cid, 2) == before


async def test_S14_someone_elses_council_url_is_not_found(app: Litestar, db: AsyncSession) -> None:
    await other_council(db)
    cid = await demo_convention(db)
    async with as_facilitator(app) as facilitator:
        draft = await create(facilitator)
    async with client_for(app) as outsider:
        await sign_in_directly(outsider, "waidi")  # the facilitator of another council
        assert (await outsider.get(f"/c/yonganli/conventions/{cid}")).status_code == 404
        assert (await outsider.get(f"{BASE}/{draft}/v/1")).status_code == 404
        moved = await step(outsider, draft, 1, "open-comments", closes_at="2030-01-01T00:00")
        assert moved.status_code == 404
        assert (
            await outsider.post(
                f"/c/yonganli/conventions/{draft}/revise",
                data={"_csrf_token": await csrf_token(outsider)},
            )
        ).status_code == 404
    assert (await version(db, draft, 1)).status is VersionStatus.DRAFT


async def test_comment_period_ends_early_only_with_a_public_reason(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    async with as_facilitator(app) as facilitator:
        cid = await create(facilitator)
        past = local(clock.now() - dt.timedelta(days=1))
        refused = await step(facilitator, cid, 1, "open-comments", closes_at=past)
        assert refused.status_code == 409 and "征求意见的截止时间已过" in text_of(refused.text)
        assert (await version(db, cid, 1)).status is VersionStatus.DRAFT
        closes = local(clock.now() + dt.timedelta(days=7))
        assert (await step(facilitator, cid, 1, "open-comments", closes_at=closes)).is_redirect
        no_reason = await step(facilitator, cid, 1, "end-comments", reason="")
        assert no_reason.status_code == 422 and "此项必填" in text_of(no_reason.text)
        clock.advance(hours=1)
        ended = await step(facilitator, cid, 1, "end-comments", reason="意见已收齐")
        assert ended.status_code == 303, ended.text
    v1 = await version(db, cid, 1)
    assert v1.comment_closes_at == clock.now() and v1.comment_end_reason == "意见已收齐"
    page = text_of((await client.get(f"{BASE}/{cid}/v/1")).text)
    assert "提前结束：意见已收齐" in page and "征求意见期已结束，不能再提意见" in page
    assert (await audit_actions(db, "convention.comment_ended"))[-1].summary.find("意见已收齐") > 0


async def test_S20_convention_text_and_comments_are_escaped(
    app: Litestar, client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    cid, article = await open_for_comment(
        app, db, clock.now(), f"公约{evil}", [(evil, f"条款{evil}")]
    )
    async with client_for(app) as resident:
        await sign_in_directly(resident, "jumin11")
        posted = await step(resident, cid, 1, "comments", article=article.hex, body=f"意见{evil}")
        assert posted.status_code == 303
    for url in (f"{BASE}/{cid}", f"{BASE}/{cid}/v/1", f"{BASE}/"):
        html = (await client.get(url)).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


async def test_filing_only_for_the_adopted_version_and_only_once(
    app: Litestar, db: AsyncSession
) -> None:
    cid = await demo_convention(db)
    form = {"filed_with": "钟楼街道办事处", "reference": "重复"}
    async with as_facilitator(app) as facilitator:
        again = await step(facilitator, cid, 2, "filing", **form)
        assert again.status_code == 409 and "这一版本已登记备案" in text_of(again.text)
        old = await step(facilitator, cid, 1, "filing", **form)
        assert old.status_code == 409 and "只有已生效的版本可以登记备案" in text_of(old.text)
    assert len(await audit_actions(db, "convention.filed")) == 1
