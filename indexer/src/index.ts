// Ponder loads every file under src/ except src/api; this one lists the handler files, one per domain.
import "./payments.ts";
import "./subscriptions.ts";
import "./escrow.ts";
import "./splits.ts";
import "./loyalty.ts";
import "./lending.ts";
import "./admin.ts";
