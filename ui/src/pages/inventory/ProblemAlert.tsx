import { Alert } from 'antd';
import { ApiError, errorMessage } from '../../api/client';

/** A refused write: the zh-CN title and, when the API names them, the lines at fault. */
export default function ProblemAlert({ error, names, testId = 'problem' }: { error: unknown; names?: (skuId: string) => string | undefined; testId?: string }) {
  if (!error) return null;
  const errors = error instanceof ApiError ? error.problem.errors ?? [] : [];
  const label = (field: string) => {
    const sku = /^sku:(.+)$/.exec(field);
    return sku ? names?.(sku[1]) ?? sku[1] : field;
  };
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 16 }}
      message={errorMessage(error)}
      description={errors.length ? (
        <ul style={{ margin: 0, paddingLeft: 18 }}>
          {errors.map((e, i) => (
            <li key={i}>
              {label(e.field)}：{e.message}
            </li>
          ))}
        </ul>
      ) : undefined}
      data-testid={testId}
      data-code={error instanceof ApiError ? error.problem.code : ''}
    />
  );
}
