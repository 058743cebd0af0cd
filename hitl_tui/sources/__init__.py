"""Where interrupts come from besides MongoDBSaver's checkpoints: a LangGraph Agent Server."""
