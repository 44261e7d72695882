import { PageContainer } from '@ant-design/pro-components';
import { Col, Row } from 'antd';
import HealthCard from './HealthCard';

export default function DashboardPage() {
  return (
    <PageContainer title="仪表盘">
      <Row gutter={[16, 16]}>
        <Col span={24}>
          <HealthCard />
        </Col>
      </Row>
    </PageContainer>
  );
}
