/** Fine-tuning on existing trainers: recipes with the paper's settings, launching and following them. */
export { type LaunchResult, launchRecipe, type Recipe, SHIPPED_SCRIPT, writeRecipe } from "./launch.js";
export {
  accelerateConfig,
  deepspeedZero3,
  llamaFactoryYaml,
  type ModelSize,
  PAPER_SETTINGS,
  type PaperSettings,
  type PlanInput,
  type PlanResult,
  scriptArgs,
  sizeFromModelName,
  type TrainerKind,
  type TrainPlan,
  trainPlan,
  trlArgs,
} from "./recipe.js";
export { parseTrainerLine, type TrainerProgress } from "./trainer-log.js";
