/** Registers every command family in the table (import for side effects). */
import "./connection.ts";
import "./strings.ts";
import "./keys.ts";
import "./client.ts";
import "./config.ts";
import "./info.ts";
import "./command.ts";
import "./strings_more.ts";
import "./bitmaps.ts";
import "./hyperloglog.ts";
import "./generic.ts";
import "./lists.ts";
import "./hashes.ts";
import "./sets.ts";
import "./zsets.ts";
import "./multi.ts";
import "./sort.ts";
