import { MMS_MAX_IMAGES } from '@caretext/shared';
import { useRef, useState } from 'preact/hooks';
import { formatSize, uploadBytes } from '../../inbox/attachments';
import { checkBlastImages } from './blast-compose';

/** An image on the blast: uploaded (its id and a short-lived link for the thumbnail). */
export type BlastImage = { id: string; fileName: string; contentType: string; size: number; url: string };

const FALLBACK: Record<number, string> = {
  401: 'Please sign in again.',
  413: 'The image must be under 1 MB.',
  415: 'Only JPG, PNG or GIF images can be sent by MMS.',
};

/** Uploads one image's bytes (POST /api/blast-images; the server reads the type from the bytes and checks the size). */
export function uploadBlastImage(file: File, onProgress: (fraction: number) => void = () => {}): Promise<BlastImage> {
  return uploadBytes<BlastImage>(`/api/blast-images?name=${encodeURIComponent(file.name || 'image')}`, file, onProgress, FALLBACK);
}

/**
 * "Attach Images" (up to 3 JPG, PNG or GIF, each under 1 MB: sent as MMS), the attached images as
 * thumbnails with Remove, and why a picked file was refused (checked here first, then by the server).
 */
export function BlastImagePicker({ images, onChange, disabled, upload = uploadBlastImage }: { images: BlastImage[]; onChange: (images: BlastImage[]) => void; disabled?: boolean; upload?: (file: File) => Promise<BlastImage> }) {
  const input = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState<string[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const latest = useRef(images);
  latest.current = images;
  const full = images.length + uploading.length >= MMS_MAX_IMAGES;

  async function picked(files: File[]) {
    const { accepted, errors: refused } = checkBlastImages(files, images.length + uploading.length);
    setErrors(refused);
    const chosen = accepted.map((i) => files[i]!);
    if (!chosen.length) return;
    setUploading((u) => [...u, ...chosen.map((f) => f.name)]);
    await Promise.all(
      chosen.map(async (file) => {
        try {
          const image = await upload(file);
          latest.current = [...latest.current, image];
          onChange(latest.current);
        } catch (error) {
          setErrors((e) => [...e, `${file.name}: ${(error as Error).message}`]);
        } finally {
          setUploading((u) => {
            const i = u.indexOf(file.name);
            return i < 0 ? u : [...u.slice(0, i), ...u.slice(i + 1)];
          });
        }
      }),
    );
  }

  return (
    <div class="field blast-images" data-testid="blast-images">
      <div class="button-row">
        <button type="button" class="btn btn-secondary btn-small" onClick={() => input.current?.click()} disabled={disabled || full} data-testid="blast-attach-images">
          Attach Images
        </button>
        <span class="muted small">Up to {MMS_MAX_IMAGES} images (JPG, PNG or GIF), each under 1 MB. Images make it MMS, which costs roughly 3x more than SMS.</span>
        <input
          ref={input}
          type="file"
          accept="image/jpeg,image/png,image/gif"
          multiple
          hidden
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = '';
            void picked(files);
          }}
          data-testid="blast-image-input"
        />
      </div>
      {(images.length > 0 || uploading.length > 0) && (
        <ul class="blast-image-list" data-testid="blast-image-list">
          {images.map((img) => (
            <li key={img.id} class="blast-image" data-testid="blast-image">
              <img src={img.url} alt={img.fileName} />
              <span class="small blast-image-name" title={img.fileName}>
                {img.fileName}
              </span>
              <span class="small muted">{formatSize(img.size)}</span>
              <button type="button" class="btn btn-ghost btn-small" onClick={() => onChange(images.filter((i) => i.id !== img.id))} disabled={disabled} aria-label={`Remove ${img.fileName}`} data-testid="blast-image-remove">
                Remove
              </button>
            </li>
          ))}
          {uploading.map((name, i) => (
            <li key={`up-${i}`} class="blast-image blast-image-uploading" data-testid="blast-image-uploading">
              <span class="small muted">Uploading {name}…</span>
            </li>
          ))}
        </ul>
      )}
      {errors.map((e, i) => (
        <p key={i} class="field-error small" role="alert" data-testid="blast-image-error">
          {e}
        </p>
      ))}
    </div>
  );
}

/** The images under the sample message, as the patient's phone shows them. */
export function SampleImages({ images }: { images: BlastImage[] }) {
  if (!images.length) return null;
  return (
    <div class="blast-sample-images" data-testid="blast-sample-images">
      {images.map((img) => (
        <img key={img.id} src={img.url} alt={img.fileName} />
      ))}
    </div>
  );
}
