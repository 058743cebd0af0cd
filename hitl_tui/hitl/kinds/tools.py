"""Interrupt kinds beyond the seed's question: approvals, plans, LangChain's
HumanInTheLoopMiddleware (batched and per-call) and the agent-inbox schema.

Each kind says which decisions it allows and builds exactly the resume value its
interrupt expects; nothing is sent for a decision the payload does not allow.
"""

from __future__ import annotations

from typing import Any

from hitl_tui.errors import UsageError
from hitl_tui.hitl.kinds.model import (
    APPROVE,
    EDIT,
    JSON,
    REJECT,
    RESPOND,
    Decision,
    InterruptKind,
    refusal,
)
from hitl_tui.hitl.safe_text import one_line


def _object_args(decision: Decision) -> dict:
    if not isinstance(decision.args, dict):
        raise UsageError('edited arguments must be a JSON object, e.g. {"db_name": "x"}')
    return decision.args


# -- approval: {"action": question, "tool"?, "args"?} (the seed's approval pattern) -------
def _approval_decisions(value: Any) -> tuple[str, ...]:
    return (
        (APPROVE, REJECT, EDIT, RESPOND, JSON)
        if isinstance(value.get("args"), dict)
        else (APPROVE, REJECT, RESPOND, JSON)
    )


def _approval_resume(value: Any, decision: Decision) -> Any:
    allowed = _approval_decisions(value)
    if decision.action == RESPOND:  # the seed's way: the admin types, the graph decides
        if not decision.text:
            raise UsageError("an answer text is needed (--data TEXT)")
        return {"data": decision.text}
    if decision.action == APPROVE:
        return {"data": "approved"}
    if decision.action == REJECT:
        return (
            {"data": "rejected", "reason": decision.text} if decision.text else {"data": "rejected"}
        )
    if decision.action == EDIT and EDIT in allowed:
        return {"data": "approved", "args": _object_args(decision)}
    if decision.action == JSON:
        return decision.value
    raise refusal("approval", decision, allowed)


APPROVAL = InterruptKind(
    name="approval",
    matches=lambda v: isinstance(v, dict) and isinstance(v.get("action"), str),
    summary=lambda v: one_line(v["action"]),
    decisions=_approval_decisions,
    resume_value=_approval_resume,
    description="approve before an action runs; approve, reject with a reason, or edit "
    "the arguments",
    editable=lambda v: v.get("args") if isinstance(v.get("args"), dict) else None,
    edited_tool=lambda v: v.get("tool") if isinstance(v.get("tool"), str) else None,
    # A text answer is read by the graph, which may act on it: confirmed like an approval.
    destructive=frozenset({APPROVE, EDIT, JSON, RESPOND}),
)


# -- plan: {"plan": [steps], "goal"?} (multi-step approval) --------------------------------
def _plan_resume(value: Any, decision: Decision) -> Any:
    if decision.action == APPROVE:
        return {"data": list(value["plan"])}
    if decision.action == REJECT:
        return {"data": [], "reason": decision.text} if decision.text else {"data": []}
    if decision.action == EDIT:
        steps = decision.args
        if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
            raise UsageError("an edited plan is a JSON list of non-empty step strings")
        return {"data": steps}
    if decision.action == JSON:
        return decision.value
    raise refusal("plan", decision, (APPROVE, EDIT, REJECT, JSON))


PLAN = InterruptKind(
    name="plan",
    matches=lambda v: isinstance(v, dict) and isinstance(v.get("plan"), list),
    summary=lambda v: one_line(
        (f"{v['goal']}: " if isinstance(v.get("goal"), str) else "")
        + f"plan of {len(v['plan'])} steps"
    ),
    decisions=lambda v: (APPROVE, EDIT, REJECT, JSON),
    resume_value=_plan_resume,
    description="a plan; approve it, edit the list of steps (reorder, remove, change), or "
    "reject it",
    editable=lambda v: list(v["plan"]),
)


# -- hitl_request: LangChain HumanInTheLoopMiddleware, batched ---------------------------
def _configs(value: Any) -> list[set[str]]:
    configs = {
        c.get("action_name"): set(c.get("allowed_decisions") or [])
        for c in value.get("review_configs") or []
        if isinstance(c, dict)
    }
    return [
        configs.get(a.get("name"), {"approve", "edit", "reject"}) for a in value["action_requests"]
    ]


_OURS = {"approve": APPROVE, "edit": EDIT, "reject": REJECT, "respond": RESPOND}


def _hitl_decisions(value: Any) -> tuple[str, ...]:
    allowed = set.intersection(*_configs(value)) if value["action_requests"] else set()
    ours = [_OURS[name] for name in ("approve", "reject", "edit", "respond") if name in allowed]
    if EDIT in ours and len(value["action_requests"]) != 1:
        ours.remove(EDIT)  # several actions: edit them with a JSON value instead
    return (*ours, JSON)


def _hitl_resume(value: Any, decision: Decision) -> Any:
    allowed = _hitl_decisions(value)
    if decision.action == JSON:
        return decision.value
    if decision.action not in allowed:
        raise refusal("hitl_request", decision, allowed)
    actions = value["action_requests"]
    if decision.action == APPROVE:
        return {"decisions": [{"type": "approve"} for _ in actions]}
    if decision.action == REJECT:
        one = {"type": "reject", **({"message": decision.text} if decision.text else {})}
        return {"decisions": [dict(one) for _ in actions]}
    if decision.action == RESPOND:
        if not decision.text:
            raise UsageError("a respond decision needs a message (--data TEXT)")
        return {"decisions": [{"type": "respond", "message": decision.text} for _ in actions]}
    action = actions[0]
    args = _object_args(decision)
    return {
        "decisions": [{"type": "edit", "edited_action": {"name": action.get("name"), "args": args}}]
    }


def _hitl_summary(value: Any) -> str:
    names = ", ".join(str(a.get("name")) for a in value["action_requests"])
    return one_line(f"review {len(value['action_requests'])} action(s): {names}")


HITL_REQUEST = InterruptKind(
    name="hitl_request",
    matches=lambda v: (
        isinstance(v, dict)
        and isinstance(v.get("action_requests"), list)
        and isinstance(v.get("review_configs"), list)
    ),
    summary=_hitl_summary,
    decisions=_hitl_decisions,
    resume_value=_hitl_resume,
    description="LangChain HumanInTheLoopMiddleware: one decision per action, in order",
    editable=lambda v: (
        v["action_requests"][0].get("args") if len(v["action_requests"]) == 1 else None
    ),
    edited_tool=lambda v: (
        v["action_requests"][0].get("name") if len(v["action_requests"]) == 1 else None
    ),
)


# -- tool_approval: the middleware's per-call mode ------------------------------------------
def _tool_approval_resume(value: Any, decision: Decision) -> Any:
    if decision.action == APPROVE:
        return {"type": "approve"}
    if decision.action == REJECT:
        return {"type": "reject", **({"message": decision.text} if decision.text else {})}
    if decision.action == RESPOND:
        if not decision.text:
            raise UsageError("a respond decision needs a message (--data TEXT)")
        return {"type": "respond", "message": decision.text}
    if decision.action == EDIT:
        args = _object_args(decision)
        return {"type": "edit", "edited_action": {"name": value.get("name"), "args": args}}
    if decision.action == JSON:
        return decision.value
    raise refusal("tool_approval", decision, (APPROVE, REJECT, EDIT, RESPOND, JSON))


TOOL_APPROVAL = InterruptKind(
    name="tool_approval",
    matches=lambda v: isinstance(v, dict) and v.get("type") == "tool_approval",
    summary=lambda v: one_line(f"{v.get('name')}: {v.get('description') or v.get('args')}"),
    decisions=lambda v: (APPROVE, REJECT, EDIT, RESPOND, JSON),
    resume_value=_tool_approval_resume,
    description="LangChain HumanInTheLoopMiddleware, one tool call at a time",
    editable=lambda v: v.get("args") if isinstance(v.get("args"), dict) else None,
    edited_tool=lambda v: v.get("name") if isinstance(v.get("name"), str) else None,
)


# -- human_interrupt: the agent-inbox schema ----------------------------------------------
def _inbox_request(value: Any) -> dict:
    return value[0] if isinstance(value, list) else value


def _is_inbox(value: Any) -> bool:
    request = _inbox_request(value) if isinstance(value, list | dict) and value else None
    return (
        isinstance(request, dict)
        and isinstance(request.get("action_request"), dict)
        and isinstance(request.get("config"), dict)
    )


def _inbox_decisions(value: Any) -> tuple[str, ...]:
    config = _inbox_request(value)["config"]
    pairs = (
        (APPROVE, "allow_accept"),
        (REJECT, "allow_ignore"),
        (EDIT, "allow_edit"),
        (RESPOND, "allow_respond"),
    )
    return (*[ours for ours, flag in pairs if config.get(flag)], JSON)


def _inbox_resume(value: Any, decision: Decision) -> Any:
    allowed = _inbox_decisions(value)
    if decision.action == JSON:
        return decision.value
    if decision.action not in allowed:
        raise refusal("human_interrupt", decision, allowed)
    request = _inbox_request(value)["action_request"]
    if decision.action == APPROVE:
        response = {"type": "accept", "args": None}
    elif decision.action == REJECT:
        response = {"type": "ignore", "args": None}
    elif decision.action == RESPOND:
        if not decision.text:
            raise UsageError("a response needs text (--data TEXT)")
        response = {"type": "response", "args": decision.text}
    else:
        args = _object_args(decision)
        response = {"type": "edit", "args": {"action": request.get("action"), "args": args}}
    return [response]


HUMAN_INTERRUPT = InterruptKind(
    name="human_interrupt",
    matches=_is_inbox,
    summary=lambda v: one_line(
        _inbox_request(v).get("description")
        or f"{_inbox_request(v)['action_request'].get('action')}"
    ),
    decisions=_inbox_decisions,
    resume_value=_inbox_resume,
    description="agent-inbox request: accept, edit, respond or ignore as its config allows",
    editable=lambda v: _inbox_request(v)["action_request"].get("args"),
    edited_tool=lambda v: _inbox_request(v)["action_request"].get("action"),
)
