import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { useState } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { checkBlastImages, renderedSummary } from './blast-compose';
import { type BlastImage, BlastImagePicker } from './BlastImages';
import { BlastWizard, PREVIEW_DEBOUNCE_MS } from './BlastWizardPage';

/** The composer's "Attach Images" (MMS): checks, thumbnails with Remove, the counter and cost, and the images on send and test. */

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    blasts: {
      preview: { query: vi.fn(async () => ({ total: 3, willSend: 3, optedOut: 0, noContactInfo: 0, landline: 0, blocked: 0, notOptedIn: 0 })) },
      send: { mutate: vi.fn() },
      sendTest: { mutate: vi.fn() },
    },
    templates: { list: { query: vi.fn(async () => []) } },
  },
}));

const image = (n: number, fileName = `photo${n}.png`): BlastImage => ({ id: `img${n}`, fileName, contentType: 'image/png', size: 2048, url: `data:image/png;base64,iVBORw0KGgo=#${n}` });
const file = (name: string, type: string, size = 1000) => new File([new Uint8Array(size)], name, { type });

function Picker({ upload, initial = [] }: { upload: (f: File) => Promise<BlastImage>; initial?: BlastImage[] }) {
  const [images, setImages] = useState(initial);
  return <BlastImagePicker images={images} onChange={setImages} upload={upload} />;
}
const pick = (...files: File[]) => act(async () => void fireEvent.change(screen.getByTestId('blast-image-input'), { target: { files } }));
const names = () => screen.queryAllByTestId('blast-image').map((li) => li.querySelector('img')!.getAttribute('alt'));
const errors = () => screen.queryAllByTestId('blast-image-error').map((e) => e.textContent);

beforeEach(() => {
  vi.clearAllMocks();
  session.value = { status: 'ready', me: null, org: { myRole: 'member', name: 'Bayview' } as never };
});
afterEach(() => cleanup());

describe('Attach Images', () => {
  it('uploads JPG, PNG and GIF files and shows each as a thumbnail with Remove; refuses other types, 1 MB or more, and a fourth image', async () => {
    let n = 0;
    const upload = vi.fn(async (f: File) => image(++n, f.name));
    render(<Picker upload={upload} />);
    await pick(file('flu.png', 'image/png'), file('map.gif', 'image/gif'), file('notes.pdf', 'application/pdf'), file('huge.jpg', 'image/jpeg', 1024 * 1024));
    await waitFor(() => expect(names()).toEqual(['flu.png', 'map.gif']));
    expect(upload).toHaveBeenCalledTimes(2);
    expect(errors()).toEqual(['notes.pdf: only JPG, PNG or GIF images can be sent by MMS.', 'huge.jpg: images must each be under 1 MB.']);

    await pick(file('a.jpg', 'image/jpeg'), file('b.jpg', 'image/jpeg'));
    await waitFor(() => expect(names()).toEqual(['flu.png', 'map.gif', 'a.jpg']));
    expect(errors()).toEqual(['b.jpg: at most 3 images per blast.']);
    expect((screen.getByTestId('blast-attach-images') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getAllByTestId('blast-image-remove')[1]!);
    expect(names()).toEqual(['flu.png', 'a.jpg']);
    expect((screen.getByTestId('blast-attach-images') as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows the server's refusal under the picker (a file whose bytes are not an image)", async () => {
    const upload = vi.fn(async () => {
      throw new Error("This file's contents are not a JPG, PNG or GIF image (whatever its name says).");
    });
    render(<Picker upload={upload} />);
    await pick(file('fake.png', 'image/png'));
    await waitFor(() => expect(errors()).toEqual(["fake.png: This file's contents are not a JPG, PNG or GIF image (whatever its name says)."]));
    expect(names()).toEqual([]);
  });

  it('checks by type and size before uploading', () => {
    expect(checkBlastImages([{ name: 'x.gif', size: 10, type: '' }, { name: 'x.svg', size: 10, type: 'image/svg+xml' }, { name: 'x.webp', size: 10, type: 'image/webp' }], 0)).toEqual({
      accepted: [0],
      errors: ['x.svg: only JPG, PNG or GIF images can be sent by MMS.', 'x.webp: only JPG, PNG or GIF images can be sent by MMS.'],
    });
  });
});

describe('the MMS counter and cost', () => {
  it('with images: one message per patient at the MMS price, whatever the length', () => {
    const long = 'x'.repeat(400);
    expect(renderedSummary(long, 'Bayview', 100).cost).toBe('$2.37'); // 3 segments x 100 x $0.0079
    const mms = renderedSummary(long, 'Bayview', 100, 2);
    expect(mms.cost).toBe('$2.00');
    expect(mms.line).toBe('400 characters · MMS with 2 images · 1 message per patient');
  });
});

describe('New Blast with images', () => {
  async function compose(initialImages: BlastImage[]) {
    render(
      <LocationProvider>
        <BlastWizard teams={[{ id: 't1', name: 'Front Desk', number: '(415) 555-0100' }]} cohorts={[{ id: 'c1', name: 'Flu', patientCount: 3 }] as never} initial={{ name: '', teamId: 't1', cohortIds: ['c1'], body: '', marketing: false, images: initialImages }} />
      </LocationProvider>,
    );
    fireEvent.click(screen.getByTestId('blast-next'));
    fireEvent.input(screen.getByTestId('blast-body'), { target: { value: 'Hi {{first_name}}' } });
    await act(async () => {
      await new Promise((r) => setTimeout(r, PREVIEW_DEBOUNCE_MS + 20));
    });
    await waitFor(() => expect(screen.getByTestId('blast-send').textContent).toBe('Send to 3 patients'));
  }

  it('(a Duplicate) shows the images, prices MMS, previews them, and sends and tests with them; a removed image is not sent', async () => {
    vi.mocked(trpc.blasts.send.mutate).mockResolvedValue({ duplicate: false, blast: { id: 'b1' } } as never);
    vi.mocked(trpc.blasts.sendTest.mutate).mockResolvedValue({ sent: true, to: '+14155550123', body: 'Hi Maria', samplePatient: null, carrierSid: 'MM1' } as never);
    await compose([image(1), image(2), image(3)]);
    expect(names()).toEqual(['photo1.png', 'photo2.png', 'photo3.png']);
    expect(screen.getByTestId('blast-counter').textContent).toContain('MMS with 3 images');
    expect(screen.getByTestId('blast-cost').textContent).toBe('$0.06');
    expect([...screen.getByTestId('blast-sample-images').querySelectorAll('img')].map((i) => i.alt)).toEqual(['photo1.png', 'photo2.png', 'photo3.png']);
    // The send preview panel is unchanged.
    expect(screen.getByTestId('blast-preview').textContent).not.toContain('MMS');

    fireEvent.click(screen.getAllByTestId('blast-image-remove')[0]!);
    fireEvent.click(screen.getByTestId('blast-test'));
    await waitFor(() => expect(trpc.blasts.sendTest.mutate).toHaveBeenCalledTimes(1));
    expect(vi.mocked(trpc.blasts.sendTest.mutate).mock.calls[0]![0]).toMatchObject({ imageIds: ['img2', 'img3'] });
    fireEvent.click(screen.getByTestId('blast-send'));
    await waitFor(() => expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(1));
    expect(vi.mocked(trpc.blasts.send.mutate).mock.calls[0]![0]).toMatchObject({ imageIds: ['img2', 'img3'], cohortIds: ['c1'] });
  });

  it('without images it stays SMS: no imageIds sent, SMS price', async () => {
    vi.mocked(trpc.blasts.send.mutate).mockResolvedValue({ duplicate: false, blast: { id: 'b1' } } as never);
    await compose([]);
    expect(screen.getByTestId('blast-counter').textContent).toContain('segment');
    expect(screen.queryByTestId('blast-sample-images')).toBeNull();
    fireEvent.click(screen.getByTestId('blast-send'));
    await waitFor(() => expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(1));
    expect(vi.mocked(trpc.blasts.send.mutate).mock.calls[0]![0]).not.toHaveProperty('imageIds');
  });
});
