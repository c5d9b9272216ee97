import QRCode from 'qrcode';

/**
 * The PNG of a QR code encoding `text` (the code's url), drawn by the `qrcode` package: error correction level M
 * (15% of the symbol may be damaged), the standard 4-module quiet zone, 8 pixels per module.
 */
export function renderQrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 });
}
