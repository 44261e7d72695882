import { Children, useEffect, type ReactNode } from 'react';
import { Button, Card, Col, Form, Row, Space } from 'antd';
import { ReloadOutlined, SearchOutlined } from '@ant-design/icons';

export interface FilterBarProps<V extends object> {
  /** Current filter values (from the URL). */
  values: V;
  onSearch: (values: V) => void;
  onReset: () => void;
  children: ReactNode;
  testId?: string;
}

/** The filter form above a list; its values live in the URL (see useUrlFilters). */
export default function FilterBar<V extends object>({ values, onSearch, onReset, children, testId = 'filter' }: FilterBarProps<V>) {
  const [form] = Form.useForm<V>();
  const valuesKey = JSON.stringify(values);

  // URL changed (back/forward, link) → the form shows it.
  useEffect(() => {
    form.resetFields();
    form.setFieldsValue(values as Parameters<typeof form.setFieldsValue>[0]);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [valuesKey]);

  return (
    <Card size="small" style={{ marginBottom: 16 }} data-testid={testId}>
      <Form<V> form={form} onFinish={onSearch} labelCol={{ flex: '80px' }} wrapperCol={{ flex: '1 1 0', style: { minWidth: 0 } }}>
        <Row gutter={[16, 0]}>
          {Children.toArray(children).map((child, i) => (
            <Col key={i} xs={24} sm={12} lg={8} xxl={6}>
              {child}
            </Col>
          ))}
          <Col flex="auto" style={{ textAlign: 'right', marginBottom: 24 }}>
            <Space>
              <Button
                onClick={() => {
                  form.resetFields();
                  onReset();
                }}
                icon={<ReloadOutlined />}
                data-testid={`${testId}-reset`}
              >
                重置
              </Button>
              <Button type="primary" htmlType="submit" icon={<SearchOutlined />} data-testid={`${testId}-submit`}>
                查询
              </Button>
            </Space>
          </Col>
        </Row>
      </Form>
    </Card>
  );
}
