/**
 * The files of a folder dragged onto the page. DataTransfer.files lists a dropped folder as one
 * empty entry; its contents are read through the File System entries API (webkitGetAsEntry),
 * with paths "<folder>/<path inside>", as <input webkitdirectory> gives them.
 */
import type { LocalFile } from '../../store/local-import';

/** The files under the first folder of a drop; undefined when no folder was dropped. */
export async function droppedFolderFiles(data: DataTransfer): Promise<LocalFile[] | undefined> {
  const folder = [...data.items].map((item) => item.webkitGetAsEntry?.()).find((entry): entry is FileSystemDirectoryEntry => !!entry?.isDirectory);
  if (!folder) return undefined;
  const out: LocalFile[] = [];
  await walk(folder, folder.name, out);
  return out;
}

async function walk(dir: FileSystemDirectoryEntry, prefix: string, out: LocalFile[]): Promise<void> {
  const reader = dir.createReader();
  // readEntries returns at most ~100 entries per call; read until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return;
    for (const entry of batch) {
      const path = `${prefix}/${entry.name}`;
      if (entry.isDirectory) await walk(entry as FileSystemDirectoryEntry, path, out);
      else out.push({ path, file: await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail)) });
    }
  }
}
