#!/usr/bin/env node
// A client of `yantra-gnn serve` in another language: Node.js, no npm packages.
//
// It starts the server (JSON lines over stdin/stdout), sends two programs, prints one
// line per answer and closes the server's stdin, which stops it.
//
//   node examples/serve_client.js [--model REF] [--python PYTHON]
//
// REF defaults to yantra-gnn/default; PYTHON (default: $PYTHON, else python3) is the
// interpreter with yantra-gnn installed. The server is started as
// `PYTHON -m yantra_gnn.cli serve --model REF`.
"use strict";

const { spawn } = require("node:child_process");
const readline = require("node:readline");

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const model = option("--model", "yantra-gnn/default");
const python = option("--python", process.env.PYTHON || "python3");

const programs = [
  { id: "double", source: "n = int(input())\nprint(n * 2)\n" },
  { id: "gcd", source: "a, b = map(int, input().split())\nprint(math.gcd(a, b))\n" },
];

const server = spawn(python, ["-m", "yantra_gnn.cli", "serve", "--model", model], {
  stdio: ["pipe", "pipe", "inherit"], // the server's logs go to our stderr
});
server.on("error", (error) => {
  console.error(`cannot start ${python}: ${error.message}`);
  process.exit(2);
});

// Answers come back one JSON object per line, in the order of the requests.
const pending = new Map(programs.map((p) => [p.id, p]));
readline.createInterface({ input: server.stdout }).on("line", (line) => {
  const answer = JSON.parse(line);
  if (answer.error) {
    console.log(`${answer.id}: error ${answer.error.code}: ${answer.error.message}`);
  } else {
    const p = answer.prediction;
    const imports = p.imports.slice(0, 2).map((i) => `${i.module} ${i.probability.toFixed(2)}`);
    const bug = p.bugs.length ? `${p.bugs[0].class} ${p.bugs[0].probability.toFixed(2)}` : "-";
    console.log(
      `${answer.id}: confidence ${p.confidence.toFixed(3)} | imports ${imports.join(", ")} | ` +
        `top bug ${bug} | model ${answer.model}`,
    );
  }
  pending.delete(answer.id);
  if (pending.size === 0) server.stdin.end(); // all answered: stop the server
});

server.on("close", (code) => {
  if (pending.size !== 0) console.error(`server exited (${code}) with ${pending.size} unanswered`);
  process.exit(code === 0 && pending.size === 0 ? 0 : 1);
});

for (const program of programs) server.stdin.write(JSON.stringify(program) + "\n");
