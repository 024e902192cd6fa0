/** Schema problems as the messages every input reader prints. Pure. */
import type { z } from "zod";

/** Describes the first zod issue as "field "steps[2]": expected string, received number". */
export function describeZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "invalid record";
  const path =
    first.path.length > 0
      ? first.path
          .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
          .join("")
          .replace(/^\./, "")
      : "";
  const message = first.message.replace(/^Invalid input: /, "");
  return path ? `field "${path}": ${message}` : message;
}
