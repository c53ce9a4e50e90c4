// The Files panel's actions on /data, through the Python worker (the files never leave the
// browser).
import { kernel } from "../python/kernel";
import { files, filesState } from "../state/files";
import { problem } from "../state/transcript";
import { reconcileAttachments } from "./attachments";

export async function refreshFiles() {
  try {
    files.value = await kernel.files();
    filesState.value = { phase: "ready" };
    reconcileAttachments();
  } catch (error) {
    filesState.value = { phase: "failed", reason: (error as Error).message };
  }
}

export async function downloadFile(path: string) {
  try {
    const data = await kernel.read(path);
    const url = URL.createObjectURL(new Blob([data as BlobPart]));
    const link = Object.assign(document.createElement("a"), {
      href: url,
      download: path.split("/").pop() ?? "file",
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    problem.value = { message: `Couldn't read ${path}: ${(error as Error).message}` };
  }
}

export async function deleteFile(path: string) {
  try {
    files.value = await kernel.remove(path);
    reconcileAttachments();
  } catch (error) {
    problem.value = { message: `Couldn't delete ${path}: ${(error as Error).message}` };
  }
}
