/** Registers every command family in the table (import for side effects). */
import "./connection.ts";
import "./strings.ts";
import "./keys.ts";
import "./client.ts";
import "./config.ts";
import "./info.ts";
import "./command.ts";
