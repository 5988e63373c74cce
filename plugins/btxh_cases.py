"""Applications (hồ sơ): /-/btxh/ho-so/moi, /-/btxh/ho-so/<id>, …/niem-yet, …/quyet-dinh;
a person's case after the grant: /-/btxh/doi-tuong/<id> and …/tam-dung, …/tiep-tuc,
…/thoi-huong, …/chuyen-di (the old commune stops and sends the file), …/dieu-chinh;
transfers between communes (ADR 014): /-/btxh/chuyen-xa (incoming and outgoing),
/-/btxh/chuyen-xa/<id> and …/tiep-nhan, …/tu-choi (the new commune), …/huy (the old one).

Parse the request, ask btxh.scoping who may see the commune, call btxh.cases on a
connection of our own (in a thread), render. Writers: can_bo_xa (their communes) and
quan_tri; tinh may read; everyone else gets 403. A refused step re-renders its form
with the messages next to the fields and the values kept (400).
"""

import asyncio
import datetime as dt
import json

from datasette import hookimpl
from datasette.utils.asgi import Response

from btxh import cases, clock, glue, scoping, store, transfers
from btxh.access import role_of
from btxh.rules.dates import month_vn, parse_month

READERS = ("can_bo_xa", "tinh", "quan_tri")
NEW_FIELDS = ("commune_code", "category", "submitted_date", "person_id", "full_name", "sex",
              "birth_date", "cccd", "village_id", "disability_level", "disability_cert_date", "k1_subcase")
STATUS = {"nop": "Đã nộp", "xet": "Đang xét", "niem_yet": "Đang niêm yết", "duyet": "Đã quyết định hưởng",
          "tu_choi": "Từ chối"}


_database = glue.database
_read = glue.read


def _write(path, fn, *args):
    db = store.open_db(path, create=False)
    try:
        return fn(db, *args)
    finally:
        db.conn.close()


async def _forbidden(datasette, request):
    return Response.html(await glue.forbidden_html(datasette, request), status=403)


async def _writer_refusal(request, datasette, where_sql: str, row_id: int, not_found):
    """None when the actor may write the row's commune, else the refusal (403, or 404 page)."""
    actor = request.actor
    if role_of(actor) not in cases.WRITER_ROLES:
        return await _forbidden(datasette, request)
    where = None if row_id > scoping.MAX_ROW_ID else await _read(
        datasette, lambda db: db.execute(where_sql, [row_id]).fetchone())
    status = scoping.row_refusal(actor, where)
    if status == 404:
        return await not_found()
    return await _forbidden(datasette, request) if status else None


def _choices(db, actor, commune_code):
    """Communes offered to the actor, the villages of the chosen one, and the categories."""
    if role_of(actor) == "can_bo_xa":
        codes = list(actor.get("communes") or ())
    else:
        codes = [commune_code] if commune_code else []
    communes = [dict(zip(("code", "name"), r)) for r in db.execute(
        f"SELECT code, name FROM communes WHERE code IN ({','.join('?' * len(codes))}) ORDER BY name",
        codes)] if codes else []
    # only an offered commune's villages: ?xa= of another commune showed its villages (red team A)
    chosen = commune_code if commune_code in {c["code"] for c in communes} else (
        communes[0]["code"] if communes else "")
    villages = [dict(zip(("id", "name"), r)) for r in db.execute(
        "SELECT id, kind || ' ' || name FROM villages WHERE commune_code = ? AND valid_to IS NULL"
        " ORDER BY name", [chosen])]
    categories = [dict(zip(("code", "label"), r)) for r in db.execute(
        "SELECT code, label FROM categories WHERE program = 'TCXH' ORDER BY sort_order")]
    return {"communes": communes, "villages": villages, "categories": categories, "chosen": chosen}


async def new_case(request, datasette):
    actor = request.actor
    if role_of(actor) not in cases.WRITER_ROLES:
        return await _forbidden(datasette, request)
    form = {k: request.args.get(k, "") for k in NEW_FIELDS}
    form["commune_code"] = request.args.get("xa", "")
    errors, status = {}, 200
    if request.method == "POST":
        posted = await request.post_vars()
        form = {k: posted.get(k, "") for k in NEW_FIELDS}
        try:
            app_id = await asyncio.to_thread(
                _write, _database(datasette).path, cases.new_application, actor, form)
            return Response.redirect(f"/-/btxh/ho-so/{app_id}")
        except cases.CaseError as e:
            errors, status = e.fields, 400
    choices = await _read(datasette, lambda db: _choices(db, actor, form["commune_code"]))
    form["commune_code"] = form["commune_code"] or choices["chosen"]
    return Response.html(await datasette.render_template(
        "btxh_case_new.html", {"form": form, "errors": errors, **choices,
                               "k1_subcases": cases.K1_SUBCASES, "levels": cases.LEVELS},
        request=request), status=status)


def _load(db, app_id, signed):
    app = store.row(db, "SELECT a.*, c.name AS commune_name, c.province_code FROM applications a"
                    " JOIN communes c ON c.code = a.commune_code WHERE a.id = ?", [app_id])
    if app is None:
        return None
    person = db.execute("SELECT p.id, p.full_name, p.sex, p.birth_date, p.cccd, v.name FROM persons p"
                        " LEFT JOIN villages v ON v.id = p.village_id AND v.commune_code = ? WHERE p.id = ?",
                        [app["commune_code"], app["person_id"]]).fetchone()  # not a new commune's village
    app["person"] = dict(zip(("id", "full_name", "sex", "birth_date", "cccd", "village"), person))
    app["facts_dict"] = json.loads(app["facts"] or "{}")
    app["category_label"] = db.execute("SELECT label FROM categories WHERE code = ?",
                                       [app["category"]]).fetchone()[0]
    app["proposal"] = None
    if app["person_id"] and app["status"] == "niem_yet":
        month, why = cases.proposal_for(db, app, signed)
        app["proposal"] = {"month": month_vn(parse_month(month)), "why": why}
    return app


async def _case_page(request, datasette, app_id, errors=None, forms=None, status=200):
    actor = request.actor
    if role_of(actor) not in READERS:
        return await _forbidden(datasette, request)
    forms = forms or {}
    grant_form = forms.get("grant") or {}
    signed = clock.today()
    try:
        signed = dt.date.fromisoformat(grant_form.get("signed_date", "")) if grant_form.get("signed_date") else signed
    except ValueError:
        pass
    app = None if app_id > scoping.MAX_ROW_ID else await _read(datasette, lambda db: _load(db, app_id, signed))
    refusal = scoping.row_refusal(actor, app and (app["commune_code"], app["province_code"]))
    if refusal == 404:
        return Response.html(await datasette.render_template(
            "error.html", {"status": 404, "error": f"Không có hồ sơ số {app_id}.", "title": None},
            request=request), status=404)
    if refusal:
        return await _forbidden(datasette, request)
    if not grant_form and app["proposal"]:
        grant_form = {"start_month": app["proposal"]["month"], "signer_title": "Chủ tịch UBND xã",
                      "signed_date": signed.isoformat()}
    can_write = role_of(actor) in cases.WRITER_ROLES
    return Response.html(await datasette.render_template(
        "btxh_case.html", {"app": app, "status_label": STATUS[app["status"]], "can_write": can_write,
                           "errors": errors or {}, "post_form": forms.get("post") or {},
                           "grant_form": grant_form},
        request=request), status=status)


async def case(request, datasette):
    return await _case_page(request, datasette, int(request.url_vars["id"]))


async def _may_act(request, datasette, app_id):
    """None when the actor may write this application, else the refusal response."""
    return await _writer_refusal(
        request, datasette, "SELECT a.commune_code, c.province_code FROM applications a JOIN communes c"
        " ON c.code = a.commune_code WHERE a.id = ?", app_id,
        lambda: _case_page(request, datasette, app_id))  # the 404 page


async def _case_step(request, datasette, step: str, action, keys: tuple[str, ...], done):
    """A POST on one application: check who may act, call ``action`` with the form's
    ``keys`` in order, show the form again with its errors, or redirect to ``done(result)``."""
    app_id = int(request.url_vars["id"])
    if request.method != "POST":
        return Response.redirect(f"/-/btxh/ho-so/{app_id}")
    if (refusal := await _may_act(request, datasette, app_id)) is not None:
        return refusal
    posted = await request.post_vars()
    form = {k: posted.get(k, "") for k in keys}
    try:
        result = await asyncio.to_thread(_write, _database(datasette).path, action, request.actor, app_id,
                                         *(form[k] for k in keys))
    except cases.CaseError as e:
        return await _case_page(request, datasette, app_id, e.fields, {step: form}, status=400)
    return Response.redirect(done(app_id, result))


async def post_case(request, datasette):
    return await _case_step(request, datasette, "post", cases.post, ("posting_from", "posting_to"),
                            lambda app_id, _: f"/-/btxh/ho-so/{app_id}")


async def grant_case(request, datasette):
    return await _case_step(request, datasette, "grant", cases.grant,
                            ("number", "signed_date", "signer_name", "signer_title", "start_month"),
                            lambda _, decision_id: f"/-/btxh/quyet-dinh/{decision_id}")


@hookimpl
def register_routes():
    return [
        (r"^/-/btxh/ho-so/moi$", new_case),
        (r"^/-/btxh/ho-so/(?P<id>\d+)$", case),
        (r"^/-/btxh/ho-so/(?P<id>\d+)/niem-yet$", post_case),
        (r"^/-/btxh/ho-so/(?P<id>\d+)/quyet-dinh$", grant_case),
        (r"^/-/btxh/doi-tuong/(?P<id>\d+)$", person_page),
        (r"^/-/btxh/doi-tuong/(?P<id>\d+)/(?P<action>tam-dung|tiep-tuc|thoi-huong|chuyen-di|dieu-chinh)$",
         person_action),
        (r"^/-/btxh/chuyen-xa$", transfer_inbox),
        (r"^/-/btxh/chuyen-xa/(?P<id>\d+)$", transfer_page),
        (r"^/-/btxh/chuyen-xa/(?P<id>\d+)/(?P<action>tiep-nhan|tu-choi|huy)$", transfer_action),
    ]


@hookimpl
def menu_links(datasette, actor):
    links = []
    if role_of(actor) in cases.WRITER_ROLES:
        links.append({"href": "/-/btxh/ho-so/moi", "label": "Nhận hồ sơ mới"})
    if role_of(actor) in READERS:
        links.append({"href": "/-/btxh/chuyen-xa", "label": "Chuyển đi, chuyển đến"})
    return links or None


# --- a person's page and the life of their case (/-/btxh/doi-tuong/<id>) -------------------------

LIFE_ACTIONS = {  # the form's action → (btxh function, its form fields in order)
    "tam-dung": (cases.suspend, ("membership_id", "number", "signed_date", "signer_name", "signer_title",
                             "stop_month", "reason")),
    "tiep-tuc": (cases.resume, ("membership_id", "number", "signed_date", "signer_name", "signer_title",
                            "start_month", "reason")),
    "thoi-huong": (cases.stop, ("membership_id", "number", "signed_date", "signer_name", "signer_title",
                            "stop_month", "reason", "death_date", "death_cause")),
    "dieu-chinh": (cases.adjust, ("membership_id", "number", "signed_date", "signer_name", "signer_title",
                              "start_month", "level", "reason")),
    # the old commune's half of a move: its own stop decision and a transfer (btxh/transfers.py)
    "chuyen-di": (transfers.send, ("to_commune", "number", "signed_date", "signer_name", "signer_title",
                                   "stop_month", "reason")),
}
KIND_LABELS = {"grant": "Hưởng trợ cấp", "adjust": "Điều chỉnh", "suspend": "Tạm dừng",
               "resume": "Tiếp tục hưởng", "stop": "Thôi hưởng", "move": "Chuyển đến"}


def _person(db, person_id):
    person = store.row(db, "SELECT p.*, c.name AS commune_name, c.province_code, v.name AS village_name"
                       " FROM persons p JOIN communes c ON c.code = p.commune_code"
                       " LEFT JOIN villages v ON v.id = p.village_id WHERE p.id = ?", [person_id])
    if person is None:
        return None
    person["memberships"] = store.rows(
        db, "SELECT m.*, c.name AS commune_name, k.label AS category_label FROM memberships m"
        " JOIN communes c ON c.code = m.commune_code JOIN categories k ON k.code = m.category"
        " WHERE m.person_id = ? ORDER BY m.id", [person_id])
    for ms in person["memberships"]:
        ms["state"] = cases.membership_state(db, ms, person)
        ms["state_label"] = cases.STATES[ms["state"]]
    person["decisions"] = [
        {**d, "kind_label": KIND_LABELS.get(d["kind"], d["kind"])} for d in store.rows(
            db, "SELECT id, number, kind, membership_id, commune_code, signed_date, start_month,"
            " stop_month, reason FROM decisions WHERE person_id = ? ORDER BY id", [person_id])]
    person["communes"] = [dict(zip(("code", "name"), r)) for r in db.execute(
        "SELECT code, name FROM communes WHERE province_code = ? AND code <> ? AND valid_to IS NULL"
        " ORDER BY name", [person["province_code"], person["commune_code"]])]
    person["transfers"] = store.rows(
        db, "SELECT t.id, t.status, t.stop_month, f.name AS from_name, d.name AS to_name FROM transfers t"
        " JOIN communes f ON f.code = t.from_commune JOIN communes d ON d.code = t.to_commune"
        " WHERE t.person_id = ? ORDER BY t.id", [person_id])
    for t in person["transfers"]:
        t["status_label"] = transfers.STATUSES[t["status"]]
    return person


async def _person_page(request, datasette, person_id, errors=None, action=None, form=None, status=200):
    actor = request.actor
    if role_of(actor) not in READERS:
        return await _forbidden(datasette, request)
    person = None if person_id > scoping.MAX_ROW_ID else await _read(datasette, lambda db: _person(db, person_id))
    refusal = scoping.row_refusal(actor, person and (person["commune_code"], person["province_code"]))
    if refusal == 404:
        return Response.html(await datasette.render_template(
            "error.html", {"status": 404, "error": f"Không có đối tượng mã {person_id}.", "title": None},
            request=request), status=404)
    if refusal:
        return await _forbidden(datasette, request)
    return Response.html(await datasette.render_template(
        "btxh_case_life.html", {"person": person, "can_write": role_of(actor) in cases.WRITER_ROLES,
                                "errors": errors or {}, "action": action, "form": form or {},
                                "death_causes": cases.DEATH_CAUSES},
        request=request), status=status)


async def person_page(request, datasette):
    return await _person_page(request, datasette, int(request.url_vars["id"]))


async def person_action(request, datasette):
    person_id, action = int(request.url_vars["id"]), request.url_vars["action"]
    if request.method != "POST":
        return Response.redirect(f"/-/btxh/doi-tuong/{person_id}")
    actor = request.actor
    refusal = await _writer_refusal(
        request, datasette, "SELECT p.commune_code, c.province_code FROM persons p JOIN communes c"
        " ON c.code = p.commune_code WHERE p.id = ?", person_id,
        lambda: _person_page(request, datasette, person_id))  # the 404 page
    if refusal is not None:
        return refusal
    fn, keys = LIFE_ACTIONS[action]
    posted = await request.post_vars()
    form = {k: posted.get(k, "") for k in keys}
    try:
        if keys[0] != "membership_id":  # about the person (the move): the person id from the URL
            args = (person_id, *(form[k] for k in keys))
        else:
            membership = await _read(datasette, lambda db: db.execute(
                "SELECT 1 FROM memberships WHERE id = ? AND person_id = ?",
                [form["membership_id"] or None, person_id]).fetchone())
            if membership is None:
                raise cases.CaseError(["Diện hưởng: chọn một diện hưởng của người này"],
                                      {"membership_id": ["Diện hưởng: chọn một diện hưởng của người này"]})
            args = (int(form["membership_id"]), *(form[k] for k in keys[1:]))
        result = await asyncio.to_thread(_write, _database(datasette).path, fn, actor, *args)
    except cases.CaseError as e:
        return await _person_page(request, datasette, person_id, e.fields, action, form, status=400)
    if fn is transfers.send:
        return Response.redirect(f"/-/btxh/chuyen-xa/{result}")
    return Response.redirect(f"/-/btxh/doi-tuong/{person_id}")


# --- transfers between communes (/-/btxh/chuyen-xa, ADR 014) -------------------------------------

MAX_ID = scoping.MAX_ROW_ID  # a larger id in the URL is simply not found
TRANSFER_ACTIONS = {  # the form's action → (btxh function, its form fields in order, who may)
    "tiep-nhan": (transfers.accept, ("number", "signed_date", "signer_name", "signer_title", "to_village_id"),
                  transfers.may_receive),
    "tu-choi": (transfers.refuse, ("refusal_reason",), transfers.may_receive),
    "huy": (transfers.cancel, (), transfers.may_cancel),
}


def _sees_transfer(actor, t) -> bool:
    return (scoping.may_see_commune(actor, t["from_commune"], t["from_province"])
            or scoping.may_see_commune(actor, t["to_commune"], t["to_province"]))


async def _visible_transfer(request, datasette, transfer_id):
    """The transfer when the actor may see it (either commune is theirs), else None: a missing
    id and another commune's transfer get the same 403 page, so nothing tells them apart."""
    if role_of(request.actor) not in READERS or transfer_id > MAX_ID:
        return None
    t = await _read(datasette, lambda db: transfers.load(db, transfer_id))
    return t if t is not None and _sees_transfer(request.actor, t) else None


async def transfer_inbox(request, datasette):
    actor = request.actor
    if role_of(actor) not in READERS:
        return await _forbidden(datasette, request)
    scope = scoping.scope_of(actor)
    found = await _read(datasette, lambda db: transfers.listing(db, scope))
    return Response.html(await datasette.render_template(
        "btxh_transfers.html", {
            "transfer": None,
            "incoming": [t for t in found if scope.includes(t["to_commune"], t["to_province"])],
            "outgoing": [t for t in found if scope.includes(t["from_commune"], t["from_province"])]},
        request=request))


async def _transfer_page(request, datasette, transfer_id, errors=None, action=None, form=None, status=200):
    actor = request.actor
    t = await _visible_transfer(request, datasette, transfer_id)
    if t is None:
        return await _forbidden(datasette, request)
    pending = t["status"] == "cho_tiep_nhan"
    return Response.html(await datasette.render_template(
        "btxh_transfers.html", {
            "transfer": t, "errors": errors or {}, "action": action,
            "form": form or {"signer_title": "Chủ tịch UBND xã", "signed_date": clock.today().strftime("%d/%m/%Y")},
            "can_receive": pending and transfers.may_receive(actor, t),
            "can_cancel": pending and transfers.may_cancel(actor, t),
            "show_categories": transfers.shows_categories(actor, t)},
        request=request), status=status)


async def transfer_page(request, datasette):
    return await _transfer_page(request, datasette, int(request.url_vars["id"]))


async def transfer_action(request, datasette):
    transfer_id, action = int(request.url_vars["id"]), request.url_vars["action"]
    if request.method != "POST":
        return Response.redirect(f"/-/btxh/chuyen-xa/{transfer_id}")
    fn, keys, may = TRANSFER_ACTIONS[action]
    t = await _visible_transfer(request, datasette, transfer_id)
    if t is None or not may(request.actor, t):
        return await _forbidden(datasette, request)
    posted = await request.post_vars()
    form = {k: posted.get(k, "") for k in keys}
    try:
        await asyncio.to_thread(_write, _database(datasette).path, fn, request.actor, transfer_id,
                                *(form[k] for k in keys))
    except cases.CaseError as e:
        return await _transfer_page(request, datasette, transfer_id, e.fields, action, form, status=400)
    if fn is transfers.accept:
        return Response.redirect(f"/-/btxh/doi-tuong/{t['person_id']}")
    return Response.redirect(f"/-/btxh/chuyen-xa/{transfer_id}")
