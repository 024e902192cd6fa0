/** Fine-tuning on existing trainers: recipes with the paper's settings, launching and following them. */
export {
  dataForSpecialTokenTrainer,
  type LaunchResult,
  launchRecipe,
  type Recipe,
  type RecipeOptions,
  SHIPPED_SCRIPT,
  writeRecipe,
} from "./launch.js";
export {
  activateVenv,
  findVenv,
  PACKAGE_ROOT,
  type TrainerPython,
  torchHasCuda,
  trainerPython,
} from "./python-env.js";
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
  type TrainDevice,
  type TrainerKind,
  type TrainPlan,
  trainPlan,
  trlArgs,
} from "./recipe.js";
export { parseTrainerLine, type TrainerProgress } from "./trainer-log.js";
