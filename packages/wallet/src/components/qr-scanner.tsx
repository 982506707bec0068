/**
 * The camera QR scanner (jsQR): frames from the back camera are drawn to a canvas and read until a
 * code that `accept` takes shows; then `onCode` gets its text and the camera stops. Shared by the
 * credentials page (a counter's OpenID4VP request) and the cross-device page (a computer's
 * sign-in). The camera runs while the component is shown.
 */
import jsQR from 'jsqr';
import { useEffect, useRef } from 'preact/hooks';

/** Props of {@link QrScanner}. */
export interface QrScannerProps {
  /** Whether a decoded text is the kind this page waits for (others are ignored). */
  readonly accept: (text: string) => boolean;
  /** Called once with the accepted text. */
  readonly onCode: (text: string) => void;
  /** Called when the camera cannot be opened (no permission, no camera). */
  readonly onError: () => void;
  /** The video's accessible name. */
  readonly label: string;
}

/** A live camera view that reads QR codes (see the module comment). */
export function QrScanner(props: QrScannerProps) {
  const video = useRef<HTMLVideoElement>(null);
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    let stream: MediaStream | undefined;
    let stopped = false;
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const tick = (): void => {
      if (stopped) return;
      const v = video.current;
      if (v !== null && ctx !== null && v.videoWidth > 0) {
        canvas.width = v.videoWidth;
        canvas.height = v.videoHeight;
        ctx.drawImage(v, 0, 0);
        const code = jsQR(
          ctx.getImageData(0, 0, canvas.width, canvas.height).data,
          canvas.width,
          canvas.height,
        );
        if (code !== null && latest.current.accept(code.data)) {
          stopped = true;
          stream?.getTracks().forEach((tr) => tr.stop());
          latest.current.onCode(code.data);
          return;
        }
      }
      setTimeout(tick, 200);
    };
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then(async (s) => {
        stream = s;
        if (stopped || video.current === null) {
          s.getTracks().forEach((tr) => tr.stop());
          return;
        }
        video.current.srcObject = s;
        await video.current.play();
        tick();
      })
      .catch(() => {
        if (!stopped) latest.current.onError();
      });
    return () => {
      stopped = true;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, []);
  return <video ref={video} id="camera" muted playsInline aria-label={props.label} />;
}
