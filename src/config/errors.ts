/**
 * A configuration problem. The message is one line naming the key, the value and what is
 * allowed (or the unknown key and where it came from), fit to print before exiting.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    // Keys and values come from user input; keep the message on one line whatever they hold.
    super(message.replace(/\r/g, "\\r").replace(/\n/g, "\\n"));
    this.name = "ConfigError";
  }
}
