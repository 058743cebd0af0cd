"""The support graph exactly as the seed draws it: chat_node, ToolNode, tools_condition."""

from __future__ import annotations

from typing import Annotated

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from typing_extensions import TypedDict

from hitl_tui.agent.tools import SUPPORT_TOOLS

SYSTEM_PROMPT = (
    "You are a customer support agent. Answer simple questions yourself. When a question "
    "needs a specialist, account access, or anything you are not sure of, call the "
    "human_assistance tool with the user's question, then relay the operator's answer "
    "to the user faithfully."
)


class State(TypedDict):
    messages: Annotated[list, add_messages]


def build_support_graph(model: BaseChatModel, tools: list | None = None) -> StateGraph:
    """The seed's graph builder, bound to `model`; compile it with a checkpointer."""
    tools = list(SUPPORT_TOOLS if tools is None else tools)
    llm_with_tools = model.bind_tools(tools)

    def chat_node(state: State) -> dict:
        prompt = [SystemMessage(SYSTEM_PROMPT), *state["messages"]]
        return {"messages": [llm_with_tools.invoke(prompt)]}

    graph_builder = StateGraph(State)
    graph_builder.add_node("chat_node", chat_node)
    graph_builder.add_node("tools", ToolNode(tools))
    graph_builder.add_edge(START, "chat_node")
    graph_builder.add_conditional_edges("chat_node", tools_condition)
    graph_builder.add_edge("tools", "chat_node")
    graph_builder.add_edge("chat_node", END)
    return graph_builder
