// Ponder loads every file under src/ except src/api; this one exists so the handlers have an obvious home.
import "./payments.ts";
