// The model for the next turn, from what the deployment offers and this account's tier allows.
import { currentModel } from "../agent/loop";
import { config, me, tierAllows } from "../state/account";
import { chosenModel } from "../state/settings";

export function ModelPicker() {
  const models = config.value?.models ?? [];
  const tier = me.value?.tier ?? "anon";
  if (!models.length) return null;
  return (
    <>
      <label class="visually-hidden" for="model">
        Model
      </label>
      <select
        id="model"
        class="select"
        value={currentModel() ?? ""}
        onChange={(e) => {
          chosenModel.value = e.currentTarget.value;
        }}
      >
        {models.map((m) => {
          const allowed = tierAllows(tier, m.min_tier);
          return (
            <option key={m.id} value={m.id} disabled={!allowed}>
              {m.id}
              {allowed ? "" : tier === "anon" ? " (sign in)" : ` (${m.min_tier})`}
            </option>
          );
        })}
      </select>
      {config.value?.demo_model && (
        <span
          class="chip chip-warning demo-chip"
          title="No model provider is configured: answers are scripted."
        >
          <span class="long">Scripted demo model</span>
          <span class="short" aria-hidden="true">
            Demo
          </span>
        </span>
      )}
    </>
  );
}
