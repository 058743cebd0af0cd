"""The seed's graph.py as another program would write it: its own State, its own tool,
MongoDBSaver on the same database, thread "12". Its model is scripted so no network is
needed; it emits tool calls in OpenAI's `additional_kwargs` form like ChatOpenAI does.

    python graph.py user "How do I configure SSL certificates for nginx?"
    python graph.py admin "Run certbot --nginx"
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.mongodb import MongoDBSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

DB_URI = os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017")
DB_NAME = os.environ.get("HITL_DB_NAME", "checkpointing_db")


class ScriptedModel(BaseChatModel):
    """Escalates every question; after the tool answers, relays it as the seed shows."""

    @property
    def _llm_type(self) -> str:
        return "seed-scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedModel:
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            reply = AIMessage(f"Here's the solution from our expert:\n{last.content}")
        else:
            arguments = json.dumps({"query": last.content})
            reply = AIMessage(
                "This requires specialized knowledge. Let me get human assistance.",
                additional_kwargs={
                    "tool_calls": [
                        {
                            "id": "call_seed_1",
                            "type": "function",
                            "function": {"name": "human_assistance", "arguments": arguments},
                        }
                    ]
                },
                tool_calls=[
                    {
                        "name": "human_assistance",
                        "args": {"query": last.content},
                        "id": "call_seed_1",
                        "type": "tool_call",
                    }
                ],
            )
        return ChatResult(generations=[ChatGeneration(message=reply)])


@tool
def human_assistance(query: str) -> str:
    """A tool that simulates human assistance by interrupting the graph."""
    human_response = interrupt({"query": query})
    return human_response["data"]


llm = ScriptedModel()
llm_with_tools = llm.bind_tools([human_assistance])


class State(TypedDict):
    messages: Annotated[list, add_messages]


def chat_node(state: State) -> dict:
    return {"messages": [llm_with_tools.invoke(state["messages"])]}


graph_builder = StateGraph(State)
graph_builder.add_node("chat_node", chat_node)
graph_builder.add_node("tools", ToolNode([human_assistance]))
graph_builder.add_edge(START, "chat_node")
graph_builder.add_conditional_edges("chat_node", tools_condition)
graph_builder.add_edge("tools", "chat_node")
graph_builder.add_edge("chat_node", END)


def user_main(user_query: str) -> None:
    config = {"configurable": {"thread_id": "12"}}
    with MongoDBSaver.from_conn_string(DB_URI, DB_NAME) as checkpointer:
        graph = graph_builder.compile(checkpointer=checkpointer)
        for event in graph.stream({"messages": [{"role": "user", "content": user_query}]}, config):
            print(event)
        print("Waiting for admin response...")


def admin_main(solution: str) -> None:
    config = {"configurable": {"thread_id": "12"}}
    with MongoDBSaver.from_conn_string(DB_URI, DB_NAME) as checkpointer:
        graph = graph_builder.compile(checkpointer=checkpointer)
        current_state = graph.get_state(config)
        last_message = current_state.values["messages"][-1]
        for call in last_message.additional_kwargs.get("tool_calls", []):
            if call["function"]["name"] == "human_assistance":
                print("User Query:", json.loads(call["function"]["arguments"])["query"])
        for event in graph.stream(Command(resume={"data": solution}), config):
            print(event)


if __name__ == "__main__":
    {"user": user_main, "admin": admin_main}[sys.argv[1]](sys.argv[2])
