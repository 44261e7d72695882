import { forwardRef, type KeyboardEvent } from 'react';
import { Input, type InputProps, type InputRef } from 'antd';
import { BarcodeOutlined } from '@ant-design/icons';
import { normalizeCode } from '../utils/barcode';

export interface BarcodeInputProps extends Omit<InputProps, 'onChange' | 'value'> {
  value?: string;
  onChange?: (v: string) => void;
  /**
   * Enter (what a scanner sends after the code) → called with the normalised code. Without it,
   * Enter bubbles to the enclosing form (which then submits).
   */
  onScan?: (code: string) => void;
}

/**
 * Scanner-friendly barcode box: ASCII only (full-width digits from a Chinese IME are converted),
 * no autocomplete / spellcheck, monospace, Enter submits.
 */
const BarcodeInput = forwardRef<InputRef, BarcodeInputProps>(function BarcodeInput({ value, onChange, onScan, onKeyDown, ...rest }, ref) {
  const handleKey = (e: KeyboardEvent<HTMLInputElement>) => {
    onKeyDown?.(e);
    if (e.key === 'Enter' && onScan) {
      e.preventDefault();
      e.stopPropagation();
      onScan(normalizeCode(e.currentTarget.value));
    }
  };
  return (
    <Input
      ref={ref}
      prefix={<BarcodeOutlined style={{ color: '#999' }} />}
      autoComplete="off"
      spellCheck={false}
      inputMode="numeric"
      enterKeyHint="search"
      style={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' }}
      {...rest}
      value={value}
      onChange={(e) => onChange?.(normalizeCode(e.target.value))}
      onKeyDown={handleKey}
    />
  );
});

export default BarcodeInput;
