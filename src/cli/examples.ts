/**
 * An example for every command's `--help`, by command path. The verifying commands carry theirs
 * where they are declared; this table covers the rest, and a test checks that no command lacks one.
 */
export const EXAMPLES: Record<string, string[]> = {
  verify: [
    'thinkprm verify -m verifier.gguf --problem "Solve 2x + 3 = 7" --step "2x = 4" --step "x = 1"',
    "thinkprm verify -e openai:http://127.0.0.1:8000/v1 -i solutions.jsonl -k 4 --json > verified.jsonl",
  ],
  "eval processbench": [
    "thinkprm eval processbench -e openai:http://127.0.0.1:8000/v1 --subsets olympiadbench,omnimath",
    "thinkprm eval processbench -m verifier.gguf --data held-out.json -k 4",
    "thinkprm eval processbench --predictions preds.jsonl --subsets gsm8k",
  ],
  "eval bon": [
    "thinkprm eval bon -c ../shared/data/bon/math_qwen2.5-math_cot_100_n8_rm.jsonl",
    "thinkprm eval bon -c candidates.jsonl -e openai:http://127.0.0.1:8000/v1",
    "thinkprm eval bon --generate --dataset math500 --generator openai:http://gpu:8001/v1 -e openai:http://gpu:8000/v1 -N 8 --limit 100",
  ],
  search: [
    "thinkprm search --dataset math500 --limit 100 --generator openai:http://gpu:8001/v1 -e openai:http://gpu:8000/v1",
    "thinkprm search --method bon -N 8 --dataset problems.jsonl --generator llama-cpp:gen.gguf -m verifier.gguf",
  ],
  serve: ["thinkprm serve -m verifier.gguf --port 8000   (with THINKPRM_TOKEN set to the bearer token)"],
  prompt: [
    "thinkprm prompt -i examples/problems.jsonl --json",
    "thinkprm prompt -m verifier.gguf --chat-template auto < examples/problems.jsonl",
  ],
  parse: ["thinkprm parse test/fixtures/chains/linear-equation-incorrect.txt --steps 2"],
  grade: ["thinkprm grade -i pairs.jsonl --summary > graded.jsonl"],
  convert: ["thinkprm convert path/to/checkpoint -o verifier.gguf --type q8_0"],
  eval: ["thinkprm eval processbench --help", "thinkprm eval bon --help"],
  calibrate: [
    "thinkprm calibrate --run 20261130 --method temperature",
    "thinkprm calibrate -i scores.jsonl --json",
  ],
  runs: ["thinkprm runs list", "thinkprm runs show 20261130-1a2b"],
  "runs list": ["thinkprm runs list --json"],
  "runs show": ["thinkprm runs show 20261130-1a2b"],
  "runs export": ["thinkprm runs export 20261130-1a2b --format csv > results.csv"],
  "runs merge": ["thinkprm runs merge shard0.sqlite shard1.sqlite --into all.sqlite"],
  "runs delete": ["thinkprm runs delete 20261130-1a2b"],
  cache: ["thinkprm cache clear"],
  "cache clear": ["thinkprm cache clear --store .thinkprm/runs.sqlite"],
  report: [
    "thinkprm report -o report.html",
    "thinkprm report 20261130-1a2b 20261130-3c4d -o compare.html --png plots/",
  ],
  synth: [
    "thinkprm synth --teacher openai:http://gpu:8000/v1 --source prm800k:../shared/data/prm800k/phase1_train_plus.solutions.jsonl --until 1000",
  ],
  "synth stats": ["thinkprm synth stats --run 20261130-1a2b"],
  export: ["thinkprm export --run 20261130-1a2b --format all --out ft-set --balance"],
  train: [
    "thinkprm train --data ft-set --base-model deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B --out recipe",
    "thinkprm train --data ft-set --base-model ./tiny --launch --max-steps 50",
  ],
  recipe: ["thinkprm recipe run examples/recipes/processbench-scaling.yaml --dry-run"],
  "recipe run": [
    "thinkprm recipe run examples/recipes/processbench-scaling.yaml",
    "thinkprm recipe run examples/recipes/bon-selection.yaml -o bon.html --json",
  ],
  dev: ["thinkprm dev make-model --kind constant -o constant.gguf"],
  "dev make-model": [
    "thinkprm dev make-model --kind tiny -o tiny.gguf",
    "thinkprm dev make-model --kind hf-tiny -o tiny-checkpoint/",
  ],
  "dev synthetic-task": [
    "thinkprm dev synthetic-task -o task --seed 1 --train 6000 --held-out 200",
    "thinkprm dev synthetic-task -o small --train 300 --held-out 20 --addends 3 --json",
  ],
};
