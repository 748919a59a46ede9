// A group member in its own process, so a test can kill it with SIGKILL and the
// broker sees a connection die, not a clean cancel. Prints one JSON line per
// delivery ({"d":[partition,offset]}) and per successful commit ({"c":[[partition,offset],...]}).
// Usage: node --import tsx group-member-child.ts ADDRESS GROUP TOPIC
import { GroupMember } from "./group-member.js";

const [address, groupId, topic] = process.argv.slice(2);
new GroupMember(address, groupId, [topic], {
  clientId: "child",
  commitEvery: 10,
  onDelivery: (d) => process.stdout.write(`${JSON.stringify({ d: [d.partition, String(d.offset)] })}\n`),
  onCommitted: (offsets) =>
    process.stdout.write(`${JSON.stringify({ c: offsets.map((o) => [o.partition, String(o.offset)]) })}\n`),
});
